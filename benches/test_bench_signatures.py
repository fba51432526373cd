"""Raw Ed25519 verification, n = 1,024 (quick: 128), distinct keys and one
shared key: chainproof's strict batch (one thread and all threads, from lists
of bytes and from numpy buffers) and its single-signature function in a loop,
against a PyNaCl loop and a ``cryptography`` loop over the same signatures.

The peers' key objects are built outside the timed loop (PyNaCl's
``VerifyKey`` only stores the bytes; ``cryptography``'s
``Ed25519PublicKey.from_public_bytes`` parses them), so the loops time
verification calls only. chainproof takes raw bytes and keeps a
process-wide cache of decoded, checked public keys: rows marked "keys
cold" empty it before every round (untimed), so every key is decoded and
checked inside the timed call, as for keys never seen before; "keys cached"
rows show the steady state of a verifier that sees the same keys again.
The targets use the cold rows.
"""

from __future__ import annotations

from typing import Any

import nacl.signing
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import chainproof as cp

from conftest import QUICK, THREADS, heavy, key, record

N = 128 if QUICK else 1_024

Signed = tuple[list[bytes], list[bytes], list[bytes]]


def make(shared: bool) -> Signed:
    keys, msgs, sigs = [], [], []
    one = key(7)
    for i in range(N):
        sk = one if shared else key(10 + i)
        msg = b"message %d for the raw signature benchmark" % i
        keys.append(bytes(sk.public_key))
        msgs.append(msg)
        sigs.append(sk.sign(msg))
    return keys, msgs, sigs


SETS = {"distinct keys": False, "one shared key": True}


@pytest.fixture(scope="module", params=list(SETS), ids=["distinct", "shared"])
def signed(request: pytest.FixtureRequest) -> tuple[str, Signed]:
    name: str = request.param
    return name, make(SETS[name])


def prefix(name: str) -> str:
    return "sig-shared" if SETS[name] else "sig-distinct"


def group(name: str) -> str:
    return f"raw signatures, n={N:,}, {name}"


def keys_note(cold: bool) -> str:
    return "keys cold" if cold else "keys cached"


@pytest.mark.parametrize("cold", [True, False], ids=["keys-cold", "keys-cached"])
@pytest.mark.parametrize("threads", THREADS, ids=lambda n: f"threads={n}")
def test_chainproof_batch(benchmark: Any, signed: tuple[str, Signed], threads: int, cold: bool) -> None:
    name, (keys, msgs, sigs) = signed
    record(
        benchmark,
        group(name),
        f"chainproof verify_signatures (lists of bytes), threads={threads}, {keys_note(cold)}",
        N,
        row=f"{prefix(name)}:batch{'' if cold else '-cached'}:t{threads}",
        threads=threads,
    )
    out = heavy(
        benchmark, lambda: cp.verify_signatures(keys, msgs, sigs, threads=threads), rounds=20, cold_keys=cold
    )
    assert out == [True] * N


def arrays(keys: list[bytes], sigs: list[bytes]) -> tuple[Any, Any]:
    np_keys = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32)
    np_sigs = np.frombuffer(b"".join(sigs), dtype=np.uint8).reshape(len(sigs), 64)
    return np_keys, np_sigs


@pytest.mark.parametrize("threads", THREADS, ids=lambda n: f"threads={n}")
def test_chainproof_batch_numpy(benchmark: Any, signed: tuple[str, Signed], threads: int) -> None:
    name, (keys, msgs, sigs) = signed
    np_keys, np_sigs = arrays(keys, sigs)
    record(
        benchmark,
        group(name),
        f"chainproof verify_signatures (numpy keys/sigs, list of messages), threads={threads}, keys cold",
        N,
        row=f"{prefix(name)}:numpy:t{threads}",
        threads=threads,
    )
    out = heavy(
        benchmark,
        lambda: cp.verify_signatures(np_keys, msgs, np_sigs, threads=threads),
        rounds=20,
        cold_keys=True,
    )
    assert isinstance(out, np.ndarray) and out.dtype == np.bool_ and bool(out.all()) and len(out) == N


def test_chainproof_batch_numpy_offsets(benchmark: Any, signed: tuple[str, Signed]) -> None:
    name, (keys, msgs, sigs) = signed
    np_keys, np_sigs = arrays(keys, sigs)
    buffer = b"".join(msgs)
    offsets = np.zeros(N + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(m) for m in msgs])
    record(
        benchmark,
        group(name),
        "chainproof verify_signatures (numpy keys/sigs, one message buffer + offsets), threads=1, keys cold",
        N,
        row=f"{prefix(name)}:numpy-offsets:t1",
        threads=1,
    )
    out = heavy(
        benchmark,
        lambda: cp.verify_signatures(np_keys, buffer, np_sigs, offsets=offsets, threads=1),
        rounds=20,
        cold_keys=True,
    )
    assert isinstance(out, np.ndarray) and bool(out.all()) and len(out) == N


@pytest.mark.parametrize("cold", [True, False], ids=["keys-cold", "keys-cached"])
def test_chainproof_single_loop(benchmark: Any, signed: tuple[str, Signed], cold: bool) -> None:
    name, (keys, msgs, sigs) = signed
    record(
        benchmark,
        group(name),
        f"chainproof verify_signature loop, {keys_note(cold)}",
        N,
        row=f"{prefix(name)}:single{'' if cold else '-cached'}",
        threads=1,
    )

    def loop() -> int:
        return sum(cp.verify_signature(k, m, s) for k, m, s in zip(keys, msgs, sigs, strict=True))

    assert heavy(benchmark, loop, cold_keys=cold) == N


def test_pynacl_loop(benchmark: Any, signed: tuple[str, Signed]) -> None:
    name, (keys, msgs, sigs) = signed
    verifiers = [nacl.signing.VerifyKey(k) for k in keys]
    record(
        benchmark,
        group(name),
        "PyNaCl loop (VerifyKey.verify)",
        N,
        row=f"{prefix(name)}:pynacl",
        threads=1,
        baseline=True,
    )

    def loop() -> int:
        for vk, m, s in zip(verifiers, msgs, sigs, strict=True):
            vk.verify(m, s)
        return len(verifiers)

    assert heavy(benchmark, loop) == N


def test_cryptography_loop(benchmark: Any, signed: tuple[str, Signed]) -> None:
    name, (keys, msgs, sigs) = signed
    verifiers = [Ed25519PublicKey.from_public_bytes(k) for k in keys]
    record(
        benchmark,
        group(name),
        "cryptography loop (Ed25519PublicKey.verify)",
        N,
        row=f"{prefix(name)}:cryptography",
        threads=1,
        baseline=True,
    )

    def loop() -> int:
        for vk, m, s in zip(verifiers, msgs, sigs, strict=True):
            vk.verify(s, m)
        return len(verifiers)

    assert heavy(benchmark, loop) == N
