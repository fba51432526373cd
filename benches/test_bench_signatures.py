"""Raw signature verification: chainproof's strict batch against a PyNaCl loop."""

import os

import nacl.signing
import pytest

import chainproof as cp

N = int(os.environ.get("CHAINPROOF_BENCH_SIGS", "1024"))


@pytest.fixture(scope="module")
def signed() -> tuple[list[bytes], list[bytes], list[bytes]]:
    keys, msgs, sigs = [], [], []
    for i in range(N):
        sk = cp.SigningKey.from_seed(i.to_bytes(32, "little"))
        msg = b"message %d" % i
        keys.append(bytes(sk.public_key))
        msgs.append(msg)
        sigs.append(sk.sign(msg))
    return keys, msgs, sigs


def test_chainproof_verify_signatures(benchmark, signed) -> None:  # type: ignore[no-untyped-def]
    keys, msgs, sigs = signed
    result = benchmark(cp.verify_signatures, keys, msgs, sigs)
    assert all(result)


def test_pynacl_loop(benchmark, signed) -> None:  # type: ignore[no-untyped-def]
    keys, msgs, sigs = signed
    verifiers = [nacl.signing.VerifyKey(k) for k in keys]

    def loop() -> int:
        for vk, m, s in zip(verifiers, msgs, sigs, strict=True):
            vk.verify(m, s)
        return len(verifiers)

    assert benchmark(loop) == N
