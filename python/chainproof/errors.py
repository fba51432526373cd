"""The exception hierarchy of chainproof.

Exceptions are for misuse of the API only: a token or invocation that fails
verification is never an exception, it gets a :class:`chainproof.Verdict`
with a reason code. Every exception raised by chainproof derives from
:class:`ChainproofError`; each also derives from the built-in exception a
Python programmer would expect (``ValueError``, ``TypeError``, ``OSError``).
"""

from __future__ import annotations

__all__ = [
    "ArgumentTypeError",
    "ChainproofError",
    "DecodeError",
    "InvalidArgumentError",
    "InvalidKeyError",
    "LimitExceededError",
    "RandomnessError",
    "RefusedError",
]


class ChainproofError(Exception):
    """Root of every exception chainproof raises."""


class ArgumentTypeError(ChainproofError, TypeError):
    """An argument of the wrong Python type."""


class DecodeError(ChainproofError, ValueError):
    """Bytes or text that are not a valid chainproof encoding."""


class LimitExceededError(ChainproofError, ValueError):
    """An input over one of the configured size or count limits."""


class InvalidKeyError(ChainproofError, ValueError):
    """A key of the wrong length, a non-canonical or small-order point, or a
    key that is not the one the operation needs (e.g. not the current holder's)."""


class InvalidArgumentError(ChainproofError, ValueError):
    """A well-typed argument whose value is not acceptable."""


class RandomnessError(ChainproofError, OSError):
    """The operating system's random number generator failed."""


class RefusedError(ChainproofError, ValueError):
    """Minting refused a delegation or invocation that verifiers would refuse.

    ``reason`` is the verdict reason code a verifier would give (for example
    ``"CAPABILITY_WIDENED"``) and ``hop`` the index of the offending hop.
    """

    def __init__(self, message: str, reason: str | None = None, hop: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.hop = hop
