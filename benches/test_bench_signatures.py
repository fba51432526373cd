"""Raw signature verification: chainproof's strict batch against a PyNaCl loop
over the same signatures."""

from __future__ import annotations

import nacl.signing
import pytest

import chainproof as cp

from conftest import QUICK, key

N = 128 if QUICK else 1_024


@pytest.fixture(scope="module")
def signed() -> tuple[list[bytes], list[bytes], list[bytes]]:
    keys, msgs, sigs = [], [], []
    for i in range(N):
        sk = key(i)
        msg = b"message %d" % i
        keys.append(bytes(sk.public_key))
        msgs.append(msg)
        sigs.append(sk.sign(msg))
    return keys, msgs, sigs


def label(benchmark, baseline: str = "test_pynacl_loop") -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"raw signatures, n={N}, distinct keys"
    benchmark.extra_info.update(items=N, baseline=baseline)


def test_chainproof_verify_signatures(benchmark, signed) -> None:  # type: ignore[no-untyped-def]
    keys, msgs, sigs = signed
    label(benchmark)
    assert all(benchmark(cp.verify_signatures, keys, msgs, sigs))


def test_chainproof_verify_signature_loop(benchmark, signed) -> None:  # type: ignore[no-untyped-def]
    keys, msgs, sigs = signed
    label(benchmark)

    def loop() -> int:
        return sum(cp.verify_signature(k, m, s) for k, m, s in zip(keys, msgs, sigs, strict=True))

    assert benchmark(loop) == N


def test_pynacl_loop(benchmark, signed) -> None:  # type: ignore[no-untyped-def]
    keys, msgs, sigs = signed
    verifiers = [nacl.signing.VerifyKey(k) for k in keys]
    label(benchmark)

    def loop() -> int:
        for vk, m, s in zip(verifiers, msgs, sigs, strict=True):
            vk.verify(m, s)
        return len(verifiers)

    assert benchmark(loop) == N
