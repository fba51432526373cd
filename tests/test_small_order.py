"""The small-order key attack on delegation chains.

A holder picks the next holder's key. If it names the identity point (or any
point of small order) as the subject, then under a verifier that accepts such
keys *anyone* can sign for that subject: with A = identity, R = identity and
S = 0, the cofactored equation [8]([S]B - R - [k]A) = identity holds for
every message. The strict rule refuses small-order keys, so the forged
invocation below must be refused; minting refuses to name such a subject at
all, and a verifier refuses to trust such a root.
"""

from __future__ import annotations

import hashlib

import pytest

import chainproof as cp

from conftest import AUDIENCE, FIXED_NOW, CborMap, cbor_decode, cbor_encode, key, make_chain, make_verifier

IDENTITY = bytes([1]) + bytes(31)
ORDER_TWO = bytes([0xEC]) + bytes([0xFF]) * 30 + bytes([0x7F])
#: The "signature" a small-order key accepts on any message.
FORGED_SIGNATURE = IDENTITY + bytes(32)
BLOCK_DOMAIN = b"chainproof/v1/block\x00"
INVOCATION_DOMAIN = b"chainproof/v1/invocation\x00"


def test_the_forgery_works_on_the_bare_equation_but_not_under_the_strict_rule() -> None:
    # A lenient, cofactored verifier would accept this pair for any message;
    # chainproof refuses it because the key is of small order.
    for message in (b"", b"pay 1,000,000 to mallory"):
        assert not cp.verify_signature(IDENTITY, message, FORGED_SIGNATURE)


@pytest.mark.parametrize("bad_key", [IDENTITY, ORDER_TWO])
def test_minting_refuses_a_small_order_subject(bad_key: bytes) -> None:
    chain = make_chain(1)
    with pytest.raises(cp.InvalidKeyError):
        chain.token.delegate(chain.holder, subject=bad_key, now=FIXED_NOW)
    with pytest.raises(cp.InvalidKeyError):
        cp.Token.issue(
            key(0),
            subject=bad_key,
            capabilities=[cp.Capability("bank/*", ["pay"])],
            purpose="payments",
            audiences=[AUDIENCE],
            principal="alice",
            expires_at=FIXED_NOW + 60,
            now=FIXED_NOW,
        )


@pytest.mark.parametrize("bad_key", [IDENTITY, ORDER_TWO])
def test_a_small_order_root_cannot_be_trusted(bad_key: bytes) -> None:
    with pytest.raises(cp.InvalidKeyError):
        cp.Verifier([bad_key], audience=AUDIENCE)


def test_a_chain_handed_to_a_small_order_key_authorises_nothing() -> None:
    chain = make_chain(1)
    verifier = make_verifier(chain)
    token_items = cbor_decode(chain.token.to_bytes())

    # The holder of block 0 re-signs the leaf block naming the identity point
    # as the next holder (minting would refuse, so the bytes are built by hand).
    signed, _ = token_items[-1]
    leaf = cbor_decode(signed).set(4, IDENTITY)
    leaf_bytes = cbor_encode(leaf)
    token_items[-1] = [leaf_bytes, chain.holders[0].sign(BLOCK_DOMAIN + leaf_bytes)]
    token = cbor_encode(token_items)

    # Anyone now "signs" an invocation for the identity key.
    args = CborMap([("amount", 100)])
    invocation = CborMap(
        [
            (1, hashlib.sha256(leaf_bytes).digest()),
            (2, AUDIENCE),
            (3, "pay"),
            (4, "bank/invoices/17"),
            (5, args),
            (6, hashlib.sha256(cbor_encode(args)).digest()),
            (7, FIXED_NOW),
            (8, b"\x01" * 16),
        ]
    )
    forged = cbor_encode([1, cbor_encode(invocation), FORGED_SIGNATURE])

    verdict = verifier.verify(token, forged, now=FIXED_NOW)
    assert not verdict.ok
    assert (verdict.reason, verdict.hop) == ("POP_INVALID", 2)

    # The control: the same bytes with an honest key and signature verify, so
    # the refusal above is the small-order rule, not a malformed construction.
    honest = key(77)
    leaf_ok = cbor_encode(cbor_decode(signed).set(4, bytes(honest.public_key)))
    token_items[-1] = [leaf_ok, chain.holders[0].sign(BLOCK_DOMAIN + leaf_ok)]
    invocation_ok = cbor_encode(invocation.set(1, hashlib.sha256(leaf_ok).digest()))
    accepted = verifier.verify(
        cbor_encode(token_items),
        cbor_encode([1, invocation_ok, honest.sign(INVOCATION_DOMAIN + invocation_ok)]),
        now=FIXED_NOW,
    )
    assert accepted.ok, accepted.message


def test_a_block_signed_for_a_small_order_subject_is_refused() -> None:
    # One hop further: the small-order "holder" forges a whole delegation
    # block below itself. Its signature must fail, at that block's hop.
    chain = make_chain(1)
    verifier = make_verifier(chain)
    items = cbor_decode(chain.token.to_bytes())
    signed, _ = items[-1]
    leaf_bytes = cbor_encode(cbor_decode(signed).set(4, IDENTITY))
    items[-1] = [leaf_bytes, chain.holders[0].sign(BLOCK_DOMAIN + leaf_bytes)]
    thief = key(99)
    below = (
        cbor_decode(leaf_bytes)
        .set(1, hashlib.sha256(leaf_bytes).digest())
        .set(4, bytes(thief.public_key))
        .set(10, 0)
        .set(12, b"\x09" * 16)
    )
    items.append([cbor_encode(below), FORGED_SIGNATURE])
    token = cbor_encode(items)
    invocation = cp.Token.decode(token).invoke(
        thief,
        audience=AUDIENCE,
        action="pay",
        resource="bank/invoices/17",
        args={"amount": 100},
        issued_at=FIXED_NOW,
        check=False,
    )
    verdict = verifier.verify(token, invocation, now=FIXED_NOW)
    assert (verdict.reason, verdict.hop) == ("SIGNATURE_INVALID", 2)
