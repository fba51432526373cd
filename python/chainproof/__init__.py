"""chainproof: verification of delegation-bound capability tokens.

One agent hands a narrowed slice of its authority to another by appending a
signed block to a token; the final holder proves possession by signing an
invocation of one request. A :class:`Verifier` checks the whole chain and
the invocation, in batches, in native code, and answers with a
:class:`Verdict` that carries a stable reason code and, on acceptance, the
chain as evidence.

    >>> import chainproof as cp
    >>> root, agent = cp.SigningKey.generate(), cp.SigningKey.generate()
    >>> token = cp.Token.issue(root, subject=agent.public_key,
    ...     capabilities=[cp.Capability("bank/invoices/*", ["pay"], {"amount": cp.Max(500)})],
    ...     purpose="bookkeeping", audiences=["bank"], principal="alice", expires_in=3600)
    >>> inv = token.invoke(agent, audience="bank", action="pay",
    ...     resource="bank/invoices/17", args={"amount": 120})
    >>> cp.Verifier([root.public_key], audience="bank").verify(token, inv).ok
    True
"""

from __future__ import annotations

from ._native import (
    Invocation,
    Limits,
    PublicKey,
    SigningKey,
    Token,
    Verdict,
    Verifier,
    __version__,
    clear_key_cache,
    reason_codes,
    verify_signature,
    verify_signatures,
)
from .capability import Capability, Constraint, Eq, Max, Min, OneOf, Prefix
from .errors import (
    ArgumentTypeError,
    ChainproofError,
    DecodeError,
    InvalidArgumentError,
    InvalidKeyError,
    LimitExceededError,
    RandomnessError,
    RefusedError,
)

__all__ = [
    "ArgumentTypeError",
    "Capability",
    "ChainproofError",
    "Constraint",
    "DecodeError",
    "Eq",
    "InvalidArgumentError",
    "InvalidKeyError",
    "Invocation",
    "LimitExceededError",
    "Limits",
    "Max",
    "Min",
    "OneOf",
    "Prefix",
    "PublicKey",
    "RandomnessError",
    "RefusedError",
    "SigningKey",
    "Token",
    "Verdict",
    "Verifier",
    "__version__",
    "clear_key_cache",
    "reason_codes",
    "verify_signature",
    "verify_signatures",
]
