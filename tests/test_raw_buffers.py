"""verify_signatures from contiguous buffers (numpy) and with a thread count."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainproof as cp

from conftest import key

N = 300


def items(n: int = N) -> tuple[list[bytes], list[bytes], list[bytes]]:
    signers = [key(2000 + i % 37) for i in range(n)]  # repeated keys: merged terms
    msgs = [b"message %d" % i * (i % 5) for i in range(n)]  # some empty
    sigs = [s.sign(m) for s, m in zip(signers, msgs, strict=True)]
    return [bytes(s.public_key) for s in signers], msgs, sigs


def as_array(rows: list[bytes], width: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(-1, width).copy()


def offsets_of(msgs: list[bytes]) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.cumsum([0] + [len(m) for m in msgs], dtype=np.int64)


def corrupted() -> tuple[list[bytes], list[bytes], list[bytes], list[bool]]:
    pks, msgs, sigs = items()
    bad = {3, 64, 65, 200, N - 1}
    for i in bad:
        sigs[i] = bytes([sigs[i][0] ^ 1]) + sigs[i][1:]
    return pks, msgs, sigs, [i not in bad for i in range(N)]


def test_arrays_give_the_same_verdicts_as_lists() -> None:
    pks, msgs, sigs, expected = corrupted()
    assert cp.verify_signatures(pks, msgs, sigs) == expected
    result = cp.verify_signatures(as_array(pks, 32), msgs, as_array(sigs, 64))
    assert isinstance(result, np.ndarray) and result.dtype == np.bool_ and result.shape == (N,)
    assert result.tolist() == expected


@pytest.mark.parametrize("form", ["bytes", "array", "bytearray"])
def test_messages_as_one_buffer_with_offsets(form: str) -> None:
    pks, msgs, sigs, expected = corrupted()
    joined = b"".join(msgs)
    buffer: Any = {
        "bytes": joined,
        "array": np.frombuffer(joined, dtype=np.uint8).copy(),
        "bytearray": bytearray(joined),
    }[form]
    result = cp.verify_signatures(as_array(pks, 32), buffer, as_array(sigs, 64), offsets=offsets_of(msgs))
    assert result.tolist() == expected
    # offsets as a plain list, keys and signatures as lists
    result = cp.verify_signatures(pks, buffer, sigs, offsets=offsets_of(msgs).tolist())
    assert result.tolist() == expected


def test_a_message_moved_between_rows_is_caught() -> None:
    pks, msgs, sigs = items(4)
    msgs = [b"aa", b"bb", b"cc", b"dd"]
    sigs = [key(2000 + i).sign(m) for i, m in enumerate(msgs)]
    pks = [bytes(key(2000 + i).public_key) for i in range(4)]
    joined = b"".join(msgs)
    assert cp.verify_signatures(pks, joined, sigs, offsets=[0, 2, 4, 6, 8]).tolist() == [True] * 4
    # shifted boundaries: rows 0 and 1 now read "aab" and "b"
    assert cp.verify_signatures(pks, joined, sigs, offsets=[0, 3, 4, 6, 8]).tolist() == [
        False,
        False,
        True,
        True,
    ]


def test_empty_arrays() -> None:
    result = cp.verify_signatures(
        np.zeros((0, 32), np.uint8), b"", np.zeros((0, 64), np.uint8), offsets=np.zeros(1, np.int64)
    )
    assert result.shape == (0,)


def test_the_result_is_independent_of_the_inputs() -> None:
    pks, msgs, sigs = items(8)
    keys_array, sigs_array = as_array(pks, 32), as_array(sigs, 64)
    result = cp.verify_signatures(keys_array, msgs, sigs_array)
    sigs_array[:] = 0  # the caller reuses its buffers: the answer is already final
    assert result.tolist() == [True] * 8
    assert cp.verify_signatures(keys_array, msgs, sigs_array).tolist() == [False] * 8


@pytest.mark.parametrize(
    ("keys_shape", "sigs_shape"),
    [
        ((N, 31), (N, 64)),
        ((N, 32), (N, 63)),
        ((N * 32,), (N, 64)),
        ((N, 32, 1), (N, 64)),
        ((N, 32), (N - 1, 64)),
    ],
)
def test_wrong_shapes_raise(keys_shape: tuple[int, ...], sigs_shape: tuple[int, ...]) -> None:
    _pks, msgs, _sigs = items()
    keys_array = np.zeros(keys_shape, np.uint8)
    sigs_array = np.zeros(sigs_shape, np.uint8)
    with pytest.raises(cp.InvalidArgumentError):
        cp.verify_signatures(keys_array, msgs, sigs_array)


def test_non_contiguous_arrays_raise() -> None:
    _pks, msgs, sigs = items()
    wide = np.zeros((N, 64), np.uint8)
    with pytest.raises(cp.InvalidArgumentError):
        cp.verify_signatures(wide[:, :32], msgs, as_array(sigs, 64))


@pytest.mark.parametrize("dtype", [np.float64, np.int8, np.uint16])
def test_arrays_of_other_types_raise(dtype: Any) -> None:
    pks, msgs, sigs = items()
    with pytest.raises(cp.ArgumentTypeError):
        cp.verify_signatures(as_array(pks, 32).astype(dtype), msgs, as_array(sigs, 64))


@pytest.mark.parametrize(
    "offsets",
    [
        lambda m: [1, *offsets_of(m).tolist()[1:]],  # does not start at 0
        lambda m: offsets_of(m).tolist()[:-1],  # one short
        lambda m: [*offsets_of(m).tolist()[:-1], len(b"".join(m)) + 1],  # past the end
        lambda m: [0, 10, 5, *offsets_of(m).tolist()[3:]],  # decreasing
        lambda m: [-1, *offsets_of(m).tolist()[1:]],  # negative
    ],
)
def test_bad_offsets_raise(offsets: Any) -> None:
    pks, msgs, sigs = items()
    with pytest.raises(cp.ChainproofError):
        cp.verify_signatures(pks, b"".join(msgs), sigs, offsets=offsets(msgs))


def test_one_buffer_of_messages_needs_offsets_and_lists_refuse_them() -> None:
    pks, msgs, sigs = items()
    with pytest.raises(cp.ArgumentTypeError):
        cp.verify_signatures(pks, b"".join(msgs), sigs)
    with pytest.raises(cp.InvalidArgumentError):
        cp.verify_signatures(pks, msgs, sigs, offsets=offsets_of(msgs))


@pytest.mark.parametrize("threads", [1, 2, 3, None])
def test_thread_count_does_not_change_verdicts(threads: int | None) -> None:
    pks, msgs, sigs, expected = corrupted()
    assert cp.verify_signatures(pks, msgs, sigs, threads=threads) == expected
    assert (
        cp.verify_signatures(as_array(pks, 32), msgs, as_array(sigs, 64), threads=threads).tolist()
        == expected
    )


@pytest.mark.parametrize("threads", [0, -1, "2"])
def test_bad_thread_counts_raise(threads: Any) -> None:
    pks, msgs, sigs = items(2)
    with pytest.raises(cp.ChainproofError):
        cp.verify_signatures(pks, msgs, sigs, threads=threads)


@pytest.mark.parametrize("threads", [1, 2])
def test_batches_longer_than_one_task_name_every_bad_signature(threads: int) -> None:
    # Past 2,048 signatures a batch is split into several multiscalar checks
    # (on one thread too): a bad signature in any of them must be named.
    n = 2048 * 2 + 5
    signer = key(4321)
    msgs = [i.to_bytes(4, "little") for i in range(n)]
    sigs = [signer.sign(m) for m in msgs]
    bad = {0, 2047, 2048, 4095, n - 1}
    for i in bad:
        sigs[i] = bytes([sigs[i][0] ^ 1]) + sigs[i][1:]
    pks = [bytes(signer.public_key)] * n
    assert cp.verify_signatures(pks, msgs, sigs, threads=threads) == [i not in bad for i in range(n)]
