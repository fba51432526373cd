"""chainproof.aip beyond SDK parity: opt-in protections, cache, batch, limits, CLI.

Chains are minted with the reference SDK (``agent-identity-protocol``) from
fixed seeds, so the holder keys are also available as chainproof SigningKeys
for signing DPoP proofs.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from aip_core.crypto import KeyPair  # type: ignore[import-untyped]
from aip_token.jwt_chain import JwtChain  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

import chainproof as cp
from chainproof import aip
from chainproof.cli import main

NOW = 1_800_000_000
ISSUER = "aip:web:example.com/root"
URL = "https://mcp.example.com/rpc"


def seed(i: int) -> bytes:
    return bytes([i + 1]) * 32


def sdk_key(i: int) -> KeyPair:
    return KeyPair(Ed25519PrivateKey.from_private_bytes(seed(i)))


def cp_key(i: int) -> cp.SigningKey:
    return cp.SigningKey.from_seed(seed(i))


ROOT_PK = sdk_key(0).public_key_bytes()


def chain(depth: int, *, issuer: str = ISSUER, tools: list[str] | None = None, ttl: int = 3600) -> JwtChain:
    """Root signed by key 0 for holder key 1; link i signed by key i naming key i+1."""
    c = JwtChain.create_root(
        issuer=issuer,
        delegate="agent-0",
        tools=tools or ["tool:*"],
        max_depth=8,
        ttl_seconds=ttl,
        issuer_keypair=sdk_key(0),
        holder_public_key=sdk_key(1).public_key_bytes(),
        domains=["a.example", "b.example"],
        budget_cents=1000,
        now=NOW,
    )
    for i in range(1, depth + 1):
        c = c.append(
            holder_keypair=sdk_key(i),
            delegate=f"agent-{i}",
            next_holder_public_key=sdk_key(i + 1).public_key_bytes(),
            context=f"step {i}",
            now=NOW,
        )
    return c


TOKEN = chain(2).serialize()  # leaf holder: key 3, "agent-2"
LEAF = cp_key(3)


def verifier(**kw: object) -> aip.Verifier:
    return aip.Verifier({ISSUER: ROOT_PK}, **kw)  # type: ignore[arg-type]


def proof(token: str = TOKEN, key: cp.SigningKey = LEAF, **kw: object) -> str:
    args: dict[str, object] = {"tool": "tool:search", "iat": NOW}
    args.update(kw)
    return aip.make_proof(key, token, **args)  # type: ignore[arg-type]


# -- acceptance and evidence ------------------------------------------------


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_sdk_chains_are_accepted_with_evidence(depth: int) -> None:
    token = chain(depth).serialize()
    v = verifier().verify(token, "tool:search", "a.example", now=NOW)
    assert v.ok and v.reason is None and v.http_status is None and v.link is None
    e = v.evidence
    assert e is not None
    assert e["issuer"] == ISSUER and e["mode"] == "jwt-chain" and e["depth"] == depth
    assert e["holder"] == f"agent-{depth}"
    assert [link["sub"] for link in e["links"]] == [f"agent-{i}" for i in range(depth + 1)]
    assert e["links"][0]["budget_cents"] == 1000
    assert e["effective"]["domains"] == ["a.example", "b.example"]
    assert base64.urlsafe_b64decode(e["holder_key"] + "=") == bytes(cp_key(depth + 1).public_key)
    assert json.loads(v.to_json())["evidence"]["holder"] == f"agent-{depth}"


def test_reason_codes_and_statuses() -> None:
    codes = aip.reason_codes()
    assert codes[:3] == ["aip_token_missing", "aip_token_malformed", "aip_signature_invalid"]
    assert {"aip_proof_missing", "aip_proof_invalid", "aip_proof_replayed", "aip_audience_mismatch"} <= set(
        codes
    )
    v = verifier()
    assert v.verify(TOKEN, "admin", now=NOW).http_status == 403
    assert v.verify("", "tool:x", now=NOW).to_dict()["http_status"] == 401


def test_key_ids_resolve_unless_turned_off() -> None:
    mb = "z" + __import__("base58").b58encode(ROOT_PK).decode()
    token = chain(1, issuer=f"aip:key:ed25519:{mb}").serialize()
    assert aip.Verifier(None).verify(token, "tool:x", now=NOW).ok
    off = aip.Verifier({}, resolve_key_ids=False).verify(token, "tool:x", now=NOW)
    assert off.reason == "aip_identity_unresolvable"


# -- (a) DPoP proof of possession ---------------------------------------------


def test_proof_required_missing_valid_and_replayed() -> None:
    v = verifier(require_proof=True)
    missing = v.verify(TOKEN, "tool:search", now=NOW)
    assert (missing.reason, missing.http_status, missing.link) == ("aip_proof_missing", 401, 2)
    p = proof(jti="once")
    assert v.verify(TOKEN, "tool:search", now=NOW, proof=p).ok
    assert v.verify(TOKEN, "tool:search", now=NOW, proof=p).reason == "aip_proof_replayed"
    # Without a replay cache the same proof passes again: the cache is what refuses.
    off = verifier(require_proof=True, replay_cache=False)
    assert off.verify(TOKEN, "tool:search", now=NOW, proof=p).ok
    assert off.verify(TOKEN, "tool:search", now=NOW, proof=p).ok


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: proof(token=chain(1).serialize()), id="wrong-ath"),
        pytest.param(lambda: proof(key=cp_key(2)), id="wrong-key"),
        pytest.param(lambda: proof(iat=NOW - 301), id="stale"),
        pytest.param(lambda: proof(iat=NOW + 301), id="future"),
        pytest.param(lambda: proof(tool="tool:other"), id="wrong-tool"),
        pytest.param(lambda: "e30.e30.AAAA", id="not-a-proof"),
    ],
)
def test_bad_proofs_are_refused(make: object) -> None:
    assert callable(make)
    p = make()
    for v in (verifier(require_proof=True), verifier()):  # optional mode checks a given proof too
        assert v.verify(TOKEN, "tool:search", now=NOW, proof=p).reason == "aip_proof_invalid"


def test_proof_window_edges_and_http_binding() -> None:
    v = verifier(require_proof=True, proof_max_age=60)
    assert v.verify(TOKEN, "tool:search", now=NOW, proof=proof(iat=NOW - 60)).ok
    assert v.verify(TOKEN, "tool:search", now=NOW, proof=proof(iat=NOW - 61)).reason == "aip_proof_invalid"
    p = proof(tool=None, method="POST", url=URL)
    assert v.verify(TOKEN, "tool:search", now=NOW, proof=p, method="POST", url=URL).ok
    for method, url in (("GET", URL), ("POST", URL + "/other")):
        bad = proof(tool=None, method="POST", url=URL)
        got = v.verify(TOKEN, "tool:search", now=NOW, proof=bad, method=method, url=url)
        assert got.reason == "aip_proof_invalid"
    # A proof binding neither a tool nor method/url checked by the caller binds nothing.
    unbound = proof(tool=None, method="POST", url=URL)
    assert v.verify(TOKEN, "tool:search", now=NOW, proof=unbound).reason == "aip_proof_invalid"
    with pytest.raises(cp.InvalidArgumentError):
        aip.make_proof(LEAF, TOKEN)


def test_truncated_prefix_accepted_by_default_refused_with_proof() -> None:
    full = chain(3)
    prefix = "~".join(full.serialize().split("~")[:2])
    # The SDK accepts the prefix, with the earlier holder's authority; so does the default.
    JwtChain.verify(prefix, ROOT_PK, now=NOW).authorize("tool:search")
    assert verifier().verify(prefix, "tool:search", now=NOW).ok
    strict = verifier(require_proof=True)
    assert strict.verify(prefix, "tool:search", now=NOW).reason == "aip_proof_missing"
    # The final holder (key 4) cannot prove possession of the prefix's leaf key (key 2).
    stolen = proof(token=prefix, key=cp_key(4))
    assert strict.verify(prefix, "tool:search", now=NOW, proof=stolen).reason == "aip_proof_invalid"
    own = proof(token=full.serialize(), key=cp_key(4))
    assert strict.verify(full.serialize(), "tool:search", now=NOW, proof=own).ok


def test_an_sdk_refusal_keeps_its_code_even_with_a_proof() -> None:
    v = verifier(require_proof=True)
    assert v.verify(TOKEN, "admin", now=NOW, proof=proof(tool="admin")).reason == "aip_scope_insufficient"
    assert v.verify(TOKEN, "tool:search", now=NOW + 3601, proof=proof()).reason == "aip_token_expired"


# -- (b) audience, (c) revocation ------------------------------------------------


def test_audience_is_the_leaf_holder() -> None:
    assert verifier(audience="agent-2").verify(TOKEN, "tool:x", now=NOW).ok
    v = verifier(audience="agent-1").verify(TOKEN, "tool:x", now=NOW)
    assert (v.reason, v.http_status, v.link) == ("aip_audience_mismatch", 401, 2)
    with pytest.raises(cp.InvalidArgumentError):
        verifier(audience="")


def test_revoked_jtis_and_keys() -> None:
    jtis = [link["claims"]["jti"] for link in aip.inspect(TOKEN)["links"]]
    assert verifier(revoked_jtis=[jtis[1]]).verify(TOKEN, "tool:x", now=NOW).reason == "aip_key_revoked"
    v = verifier()
    assert v.verify(TOKEN, "tool:x", now=NOW).ok
    v.revoke_jti(jtis[2])
    got = v.verify(TOKEN, "tool:x", now=NOW)
    assert (got.reason, got.link) == ("aip_key_revoked", 2)
    for key, link in ((cp_key(0).public_key, 0), (cp_key(2).public_key, 1), (cp_key(3).public_key, 2)):
        r = verifier(revoked_keys=[key]).verify(TOKEN, "tool:x", now=NOW)
        assert (r.reason, r.link) == ("aip_key_revoked", link)
    v = verifier()
    v.revoke_key(bytes(cp_key(1).public_key))
    assert v.verify(TOKEN, "tool:x", now=NOW).reason == "aip_key_revoked"
    # An unrelated jti or key changes nothing.
    assert (
        verifier(revoked_jtis=["nope"], revoked_keys=[cp_key(9).public_key])
        .verify(TOKEN, "tool:x", now=NOW)
        .ok
    )


# -- the link cache ----------------------------------------------------------------


def test_link_cache_never_turns_a_refusal_into_an_acceptance() -> None:
    v = verifier()
    assert v.verify(TOKEN, "tool:x", now=NOW).ok
    before = v.stats()
    assert v.verify(TOKEN, "tool:x", now=NOW).ok
    after = v.stats()
    assert after["link_cache_hits"] - before["link_cache_hits"] == 3
    assert after["signatures_checked"] == before["signatures_checked"]
    # Warm, yet every non-signature rule still applies.
    assert v.verify(TOKEN, "admin", now=NOW).reason == "aip_scope_insufficient"
    assert v.verify(TOKEN, "tool:x", "c.example", now=NOW).reason == "aip_scope_insufficient"
    assert v.verify(TOKEN, "tool:x", now=NOW + 3601).reason == "aip_token_expired"
    assert v.verify(TOKEN, "tool:x", now=NOW).ok
    v.revoke_jti(aip.inspect(TOKEN)["links"][0]["claims"]["jti"])
    assert v.verify(TOKEN, "tool:x", now=NOW).reason == "aip_key_revoked"
    # A tampered signature on a cached link is checked, not answered from the cache.
    segments = TOKEN.split("~")
    head, sig = segments[1].rsplit(".", 1)
    segments[1] = f"{head}.{'B' if sig[0] == 'A' else 'A'}{sig[1:]}"
    assert verifier().verify("~".join(segments), "tool:x", now=NOW).reason == "aip_signature_invalid"
    warm = verifier()
    warm.verify(TOKEN, "tool:x", now=NOW)
    assert warm.verify("~".join(segments), "tool:x", now=NOW).reason == "aip_signature_invalid"
    warm.clear_caches()
    hits = warm.stats()["link_cache_hits"]
    warm.verify(TOKEN, "tool:x", now=NOW)
    assert warm.stats()["link_cache_hits"] == hits
    cold = verifier(link_cache=False)
    cold.verify(TOKEN, "tool:x", now=NOW)
    cold.verify(TOKEN, "tool:x", now=NOW)
    assert cold.stats()["link_cache_hits"] == 0 and cold.stats()["signatures_checked"] == 6


# -- batch -------------------------------------------------------------------------


def _mixed() -> list[tuple[str, str] | tuple[str, str, str | None] | aip.Request]:
    prefix = "~".join(TOKEN.split("~")[:2])
    return [
        (TOKEN, "tool:x"),
        ("", "tool:x"),
        ("garbage", "tool:x"),
        (TOKEN + "~", "tool:x"),
        (TOKEN, "admin"),
        (TOKEN, "tool:x", "a.example"),
        (TOKEN, "tool:x", "z.example"),
        (TOKEN, "tool:x", None),
        aip.Request(TOKEN, "tool:search", proof=proof(jti="b1")),
        aip.Request(TOKEN, "tool:search", proof=proof(key=cp_key(1), jti="b2")),
        (prefix, "tool:x"),
        ("é~ü", "tool:x"),
    ]


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_equals_single_one_per_input_in_order(threads: int) -> None:
    items = _mixed() * 3
    v = verifier(threads=threads, replay_cache=False)
    assert v.threads == threads
    batch = v.verify_batch(items, now=NOW)
    assert len(batch) == len(items)
    for item, got in zip(items, batch, strict=True):
        if isinstance(item, aip.Request):
            single = v.verify(item.token, item.tool, item.domain, now=NOW, proof=item.proof)
        else:
            domain = item[2] if len(item) == 3 else None
            single = v.verify(item[0], item[1], domain, now=NOW)
        assert (got.ok, got.reason, got.link) == (single.ok, single.reason, single.link)
    reasons = [b.reason for b in batch[: len(_mixed())]]
    assert reasons == [
        None,
        "aip_token_missing",
        "aip_token_malformed",
        "aip_token_malformed",
        "aip_scope_insufficient",
        None,
        "aip_scope_insufficient",
        None,
        None,
        "aip_proof_invalid",
        None,
        "aip_token_malformed",
    ]
    stats = v.stats()
    assert stats["requests"] == stats["accepted"] + sum(stats["refused"].values())


def test_replay_in_a_batch_first_use_wins() -> None:
    p = proof(jti="dup")
    v = verifier(require_proof=True)
    out = v.verify_batch([aip.Request(TOKEN, "tool:search", proof=p)] * 3, now=NOW)
    assert [o.reason for o in out] == [None, "aip_proof_replayed", "aip_proof_replayed"]


def test_threads_and_argument_errors() -> None:
    with pytest.raises(cp.InvalidArgumentError):
        verifier(threads=0)
    with pytest.raises(cp.InvalidArgumentError):
        verifier(max_json_depth=129)
    with pytest.raises(cp.InvalidKeyError):
        aip.Verifier({ISSUER: b"\x00" * 32})
    with pytest.raises(cp.InvalidKeyError):
        aip.Verifier({ISSUER: b"short"})
    with pytest.raises(cp.ArgumentTypeError):
        aip.Verifier([ROOT_PK])  # type: ignore[arg-type]
    with pytest.raises(cp.ArgumentTypeError):
        verifier().verify(TOKEN.encode(), "tool:x")
    with pytest.raises(cp.ArgumentTypeError):
        verifier().verify_batch([(TOKEN,)])  # type: ignore[list-item]


# -- limits, each just under and just over -----------------------------------------


def test_limits_under_and_over() -> None:
    t = chain(3).serialize()
    under = verifier(max_token_bytes=len(t), max_links=4).verify(t, "tool:x", now=NOW)
    assert under.ok
    for kw in ({"max_token_bytes": len(t) - 1}, {"max_links": 3}):
        assert verifier(**kw).verify(t, "tool:x", now=NOW).reason == "aip_token_malformed"
    # Root lists two domains; cnf nests three objects deep.
    assert verifier(max_list_len=2).verify(t, "tool:x", now=NOW).ok
    assert verifier(max_list_len=1).verify(t, "tool:x", now=NOW).reason == "aip_token_malformed"
    assert verifier(max_json_depth=3).verify(t, "tool:x", now=NOW).ok
    assert verifier(max_json_depth=2).verify(t, "tool:x", now=NOW).reason == "aip_token_malformed"
    p = proof()
    assert verifier(max_proof_bytes=len(p)).verify(TOKEN, "tool:search", now=NOW, proof=p).ok
    over = verifier(max_proof_bytes=len(p) - 1).verify(TOKEN, "tool:search", now=NOW, proof=p)
    assert over.reason == "aip_proof_invalid"
    v = verifier(max_batch=2)
    assert all(x.ok for x in v.verify_batch([(t, "tool:x")] * 2, now=NOW))
    assert [x.reason for x in v.verify_batch([(t, "tool:x")] * 3, now=NOW)] == ["aip_token_malformed"] * 3


def test_inspect() -> None:
    decoded = aip.inspect(TOKEN)
    assert decoded["mode"] == "jwt-chain"
    links = decoded["links"]
    assert [link["header"]["typ"] for link in links] == ["aip-link+jwt"] * 3
    assert links[2]["claims"]["aip_ctx"] == "step 2" and len(links[2]["signature"]) == 64
    for bad in ("", "a.b", "a~~b", "!!.e30.e30"):
        with pytest.raises(cp.DecodeError):
            aip.inspect(bad)


# -- CLI ----------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_verify_exit_codes_and_key_forms(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    multibase = sdk_key(0).public_key_multibase()
    b64 = base64.urlsafe_b64encode(ROOT_PK).rstrip(b"=").decode()
    key_file = tmp_path / "root.pub"
    key_file.write_text(cp_key(0).public_key.encode() + "\n")
    for key in (multibase, "ed25519:" + multibase, b64, cp_key(0).public_key.encode(), str(key_file)):
        code, out, _ = run(
            capsys,
            "aip",
            "verify",
            TOKEN,
            "--issuer",
            f"{ISSUER}={key}",
            "--tool",
            "tool:x",
            "--now",
            str(NOW),
        )
        assert code == 0 and out.startswith("accepted"), (key, out)
    code, out, _ = run(
        capsys, "aip", "verify", TOKEN, "--issuer", f"{ISSUER}={b64}", "--tool", "admin", "--now", str(NOW)
    )
    assert code == 1 and "aip_scope_insufficient" in out and "HTTP 403" in out
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN + "\n")
    code, out, _ = run(
        capsys,
        "aip",
        "verify",
        f"@{token_file}",
        "--issuer",
        f"{ISSUER}={b64}",
        "--tool",
        "tool:x",
        "--domain",
        "z.example",
        "--now",
        str(NOW),
        "--json",
    )
    assert code == 1 and json.loads(out)["reason"] == "aip_scope_insufficient"
    code, out, _ = run(capsys, "aip", "verify", TOKEN, "--tool", "tool:x", "--now", str(NOW))
    assert code == 1 and "aip_identity_unresolvable" in out
    # Usage errors: no --tool, a bad key, a bad --issuer.
    assert run(capsys, "aip", "verify", TOKEN)[0] == 2
    code, _, err = run(capsys, "aip", "verify", TOKEN, "--issuer", f"{ISSUER}=nokey", "--tool", "t")
    assert code == 2 and "public key" in err
    assert run(capsys, "aip", "verify", TOKEN, "--issuer", "noequals", "--tool", "t")[0] == 2


def test_cli_inspect(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "aip", "inspect", TOKEN)
    assert code == 0
    decoded = json.loads(out)
    assert decoded["mode"] == "jwt-chain"
    assert [link["claims"]["sub"] for link in decoded["links"]] == ["agent-0", "agent-1", "agent-2"]
    assert run(capsys, "aip", "inspect", "not.a")[0] == 2


# -- hostile input never raises ----------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("A_-.~=!é\x00")), max_size=4),
    truncate=st.integers(0, 10_000),
)
def test_mutated_tokens_get_a_verdict(cuts: list[tuple[int, str]], truncate: int) -> None:
    text = list(TOKEN)
    for at, ch in cuts:
        text[at % len(text)] = ch
    mutated = "".join(text)[: max(1, truncate % (len(TOKEN) + 1))]
    v = verifier(require_proof=True, replay_cache=False)
    p = proof()
    single = v.verify(mutated, "tool:search", now=NOW, proof=p)
    batch = v.verify_batch([aip.Request(mutated, "tool:search", proof=p)], now=NOW)
    assert len(batch) == 1
    assert (batch[0].ok, batch[0].reason, batch[0].link) == (single.ok, single.reason, single.link)
    assert single.reason is None or single.reason in aip.reason_codes()
    # The proof binds the exact token text: any other text is refused.
    assert single.ok == (mutated == TOKEN)
