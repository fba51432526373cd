"""AIP (Agent Identity Protocol) delegation tokens, verified natively.

Verifies the tokens minted by the reference SDK ``agent-identity-protocol``
(draft-prakash-aip-02): JWT chains of ``aip-link+jwt`` links joined by ``~``,
and legacy ``aip+jwt`` compact tokens. By default every verdict and ``aip_*``
code equals the SDK's; three opt-in protections close AIP's gaps: a DPoP
proof of possession of the leaf key (``require_proof=True``), an audience
check (``audience=...``) and revocation (``revoked_jtis``/``revoked_keys``).
See docs/AIP.md.

    >>> from chainproof import aip
    >>> v = aip.Verifier({"aip:web:example.com": root_public_key_bytes})  # doctest: +SKIP
    >>> v.verify(token, "tool:search", now=1_700_000_000).reason  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from ._native import AipRequest as Request
from ._native import AipVerdict as Verdict
from ._native import AipVerifier as Verifier
from ._native import aip_inspect, aip_make_proof, aip_reason_codes

make_proof = aip_make_proof

__all__ = ["Request", "Verdict", "Verifier", "inspect", "make_proof", "reason_codes"]


def inspect(token: str) -> dict[str, Any]:
    """``token`` decoded WITHOUT verification, for people and debugging:
    ``{"mode": "jwt-chain" | "compact", "links": [{"header", "claims", "signature"}, ...]}``.
    Raises :class:`chainproof.DecodeError`."""
    links = aip_inspect(token)
    compact = len(links) == 1 and links[0]["header"].get("typ") == "aip+jwt"
    return {"mode": "compact" if compact else "jwt-chain", "links": links}


def reason_codes() -> list[str]:
    """Every ``aip_*`` code this verifier can answer, in check order."""
    return aip_reason_codes()
