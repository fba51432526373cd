"""Type stubs for the native module (written by hand, kept in step with rust/python)."""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol, TypedDict, final, overload

from .capability import Capability

__version__: str

_Bytes = bytes | bytearray | memoryview
_Value = int | Decimal | str

class ReplayStore(Protocol):
    """A shared replay store: answers True when `key` was fresh and is now recorded."""

    def check_and_insert(self, key: bytes, expires_at: int, now: int) -> bool: ...

@final
class PublicKey:
    @staticmethod
    def from_bytes(data: _Bytes) -> PublicKey: ...
    @staticmethod
    def decode(text: str) -> PublicKey: ...
    def encode(self) -> str: ...
    def verify(self, message: _Bytes, signature: _Bytes) -> bool: ...
    def __bytes__(self) -> bytes: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class SigningKey:
    @staticmethod
    def generate() -> SigningKey: ...
    @staticmethod
    def from_seed(seed: _Bytes) -> SigningKey: ...
    @staticmethod
    def decode(text: str) -> SigningKey: ...
    def encode(self) -> str: ...
    def seed(self) -> bytes: ...
    @property
    def public_key(self) -> PublicKey: ...
    def sign(self, message: _Bytes) -> bytes: ...

@final
class Token:
    @staticmethod
    def issue(
        root_key: SigningKey,
        *,
        subject: PublicKey | _Bytes,
        capabilities: Iterable[Capability],
        purpose: str,
        audiences: Iterable[str],
        principal: str,
        expires_at: int | None = None,
        expires_in: int | None = None,
        not_before: int | None = None,
        max_depth: int | None = None,
        subject_id: str | None = None,
        reason: str | None = None,
        block_id: _Bytes | None = None,
        now: int | None = None,
    ) -> Token:
        """Issues a root token. ``max_depth`` (further delegations allowed)
        defaults to 0: a root that should be delegated must say so."""
    def delegate(
        self,
        holder_key: SigningKey,
        *,
        subject: PublicKey | _Bytes,
        capabilities: Iterable[Capability] | None = None,
        purpose: str | None = None,
        audiences: Iterable[str] | None = None,
        expires_at: int | None = None,
        expires_in: int | None = None,
        not_before: int | None = None,
        max_depth: int | None = None,
        subject_id: str | None = None,
        reason: str | None = None,
        block_id: _Bytes | None = None,
        principal: str | None = None,
        check: bool = True,
        strict: bool = False,
        now: int | None = None,
    ) -> Token: ...
    def invoke(
        self,
        holder_key: SigningKey,
        *,
        audience: str,
        action: str,
        resource: str,
        args: Mapping[str, _Value] | None = None,
        request: _Bytes | None = None,
        issued_at: int | None = None,
        nonce: _Bytes | None = None,
        check: bool = True,
    ) -> Invocation: ...
    @staticmethod
    def decode(data: str | _Bytes) -> Token: ...
    def encode(self) -> str: ...
    def to_bytes(self) -> bytes: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> str: ...
    @property
    def depth(self) -> int: ...
    @property
    def holder(self) -> PublicKey: ...
    @property
    def root_key(self) -> PublicKey | None: ...
    @property
    def block_ids(self) -> list[bytes]: ...
    @property
    def tip_hash(self) -> bytes: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Invocation:
    @staticmethod
    def decode(data: str | _Bytes) -> Invocation: ...
    def encode(self) -> str: ...
    def to_bytes(self) -> bytes: ...
    def to_dict(self) -> dict[str, Any]: ...
    @property
    def audience(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def resource(self) -> str: ...
    @property
    def issued_at(self) -> int: ...
    @property
    def nonce(self) -> bytes: ...
    def __eq__(self, other: object) -> bool: ...

@final
class Limits:
    max_token_bytes: int
    max_invocation_bytes: int
    max_blocks: int
    max_capabilities: int
    max_actions: int
    max_constraints: int
    max_one_of: int
    max_pattern_bytes: int
    max_segments: int
    max_text_bytes: int
    max_audiences: int
    max_args: int
    max_batch: int
    def __init__(self, **overrides: int) -> None: ...

@final
class Verdict:
    @property
    def ok(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def hop(self) -> int | None: ...
    @property
    def message(self) -> str: ...
    @property
    def evidence(self) -> dict[str, Any] | None: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __bool__(self) -> bool: ...

class VerifierStats(TypedDict):
    calls: int
    requests: int
    accepted: int
    signatures: int
    cache_hits: int
    refused: dict[str, int]

_TokenIn = Token | str | _Bytes
_InvocationIn = Invocation | str | _Bytes

@final
class Verifier:
    def __init__(
        self,
        trusted_roots: Iterable[PublicKey | _Bytes],
        audience: str,
        purposes: Iterable[str] | None = None,
        *,
        leeway: int | None = None,
        freshness: int | None = None,
        max_depth: int | None = None,
        strict_attenuation: bool = False,
        replay_cache: bool | int | ReplayStore | None = None,
        threads: int | None = None,
        limits: Limits | None = None,
        revoked_blocks: Iterable[_Bytes] | None = None,
        revoked_keys: Iterable[PublicKey | _Bytes] | None = None,
        block_cache: bool | int | None = None,
    ) -> None:
        """`block_cache`: verified block signatures remembered across calls (True or None:
        65,536; False or 0: off; or a capacity). Only the signature check of a block seen
        before is skipped; every other rule is evaluated on every request."""
    def verify(
        self,
        token: _TokenIn,
        invocation: _InvocationIn,
        now: int | None = None,
        request: _Bytes | None = None,
    ) -> Verdict: ...
    def verify_batch(
        self,
        pairs: Iterable[tuple[_TokenIn, _InvocationIn] | tuple[_TokenIn, _InvocationIn, _Bytes]],
        now: int | None = None,
    ) -> list[Verdict]: ...
    def stats(self) -> VerifierStats: ...
    def revoke_block(self, block_id_bytes: _Bytes) -> None: ...
    def revoke_key(self, key: PublicKey | _Bytes) -> None: ...
    @property
    def threads(self) -> int: ...
    @property
    def block_cache_capacity(self) -> int: ...
    def clear_block_cache(self) -> None: ...
    @property
    def limits(self) -> Limits: ...

def verify_signature(public_key: _Bytes, message: _Bytes, signature: _Bytes) -> bool: ...
@overload
def verify_signatures(
    public_keys: list[_Bytes] | tuple[_Bytes, ...],
    messages: list[_Bytes] | tuple[_Bytes, ...],
    signatures: list[_Bytes] | tuple[_Bytes, ...],
    *,
    offsets: None = None,
    threads: int | None = None,
) -> list[bool]: ...
@overload
def verify_signatures(
    public_keys: Any,
    messages: Any,
    signatures: Any,
    *,
    offsets: Any = None,
    threads: int | None = None,
) -> Any:
    """Keys as a C-contiguous uint8 array of shape (n, 32), signatures (n, 64), messages as a
    list of bytes or one buffer cut by `offsets` (n + 1 ints): returns a numpy bool array."""

def clear_key_cache() -> None:
    """Empties the process-wide cache of decoded public keys (benchmarks of cold keys)."""

def reason_codes() -> list[str]: ...

# -- AIP adapter (public as chainproof.aip) ---------------------------------

@final
class AipRequest:
    token: str
    tool: str
    domain: str | None
    proof: str | None
    method: str | None
    url: str | None
    def __init__(
        self,
        token: str,
        tool: str,
        domain: str | None = None,
        proof: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None: ...

@final
class AipVerdict:
    @property
    def ok(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def http_status(self) -> int | None: ...
    @property
    def link(self) -> int | None: ...
    @property
    def message(self) -> str: ...
    @property
    def evidence(self) -> dict[str, Any] | None: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __bool__(self) -> bool: ...

class AipStats(TypedDict):
    calls: int
    requests: int
    accepted: int
    refused: dict[str, int]
    signatures_checked: int
    link_cache_hits: int

_AipItem = tuple[str, str] | tuple[str, str, str | None] | AipRequest

@final
class AipVerifier:
    def __init__(
        self,
        trusted_issuers: Mapping[str, PublicKey | _Bytes] | None = None,
        *,
        resolve_key_ids: bool = True,
        require_proof: bool = False,
        audience: str | None = None,
        revoked_jtis: Iterable[str] | None = None,
        revoked_keys: Iterable[PublicKey | _Bytes] | None = None,
        replay_cache: bool | int | ReplayStore | None = None,
        proof_max_age: int | None = None,
        link_cache: bool | int | None = None,
        threads: int | None = None,
        max_token_bytes: int | None = None,
        max_links: int | None = None,
        max_json_depth: int | None = None,
        max_json_values: int | None = None,
        max_list_len: int | None = None,
        max_proof_bytes: int | None = None,
        max_batch: int | None = None,
    ) -> None: ...
    def verify(
        self,
        token: str,
        tool: str,
        domain: str | None = None,
        now: int | None = None,
        *,
        proof: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> AipVerdict: ...
    def verify_batch(self, items: Iterable[_AipItem], now: int | None = None) -> list[AipVerdict]: ...
    def revoke_jti(self, jti: str) -> None: ...
    def revoke_key(self, key: PublicKey | _Bytes) -> None: ...
    def clear_caches(self) -> None: ...
    def stats(self) -> AipStats: ...
    @property
    def threads(self) -> int: ...

def aip_inspect(token: str) -> list[dict[str, Any]]: ...
def aip_reason_codes() -> list[str]: ...
def aip_make_proof(
    holder: SigningKey,
    token: str,
    *,
    method: str | None = None,
    url: str | None = None,
    tool: str | None = None,
    iat: int | None = None,
    jti: str | None = None,
) -> str: ...
