"""``chainproof aip``: verify and inspect AIP delegation tokens.

``chainproof aip verify TOKEN --issuer ID=KEY --tool T [--domain D] [--now T] [--json]``
exits 0 when accepted, 1 when refused, 2 on usage errors. ``chainproof aip
inspect TOKEN`` prints the links decoded without verification.

TOKEN is the token text, ``@path`` or ``-`` (standard input). KEY is any of:
``cppk1.`` text, a multibase ``z...`` key (as AIP tools print it, optionally
``ed25519:``-prefixed), an ``aip:key:ed25519:z...`` id, the base64url of the
raw 32-byte key (as in a JWK ``x``), or ``@path`` / a path to a file holding
one of these.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
from typing import Any

from . import aip
from .cli import TIME_HELP, CliError, _as_text, _read_path, _read_stdin_bytes, parse_time

__all__ = ["add_parser", "load_aip_key"]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B64URL_KEY = re.compile(r"[A-Za-z0-9_-]{43}")


def _b58decode(text: str) -> bytes | None:
    if len(text) > 64 or any(c not in _B58 for c in text):
        return None
    n = 0
    for c in text:
        n = n * 58 + _B58.index(c)
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\x00" * zeros + body


def _key_from_text(text: str) -> bytes | None:
    """A raw key from one of the text forms, or None if the text is none of them."""
    from ._native import PublicKey

    text = text.strip()
    if text.startswith("cppk1."):
        return bytes(PublicKey.decode(text))
    for prefix in ("aip:key:ed25519:", "ed25519:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if text.startswith("z"):
        raw = _b58decode(text[1:])
        if raw is not None and len(raw) == 34 and raw[:2] == b"\xed\x01":
            raw = raw[2:]
        if raw is not None and len(raw) == 32:
            return raw
    if _B64URL_KEY.fullmatch(text):
        raw = base64.urlsafe_b64decode(text + "=")
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == text:
            return raw
    return None


def load_aip_key(arg: str) -> bytes:
    """The 32 raw bytes of a public key given in any form the AIP commands accept."""
    raw = _key_from_text(arg)
    if raw is not None:
        return raw
    if arg.startswith("@") or arg == "-":
        text = _as_text(arg, "public key")
    elif os.path.exists(arg):
        text = _read_path(arg).decode("ascii", errors="replace")
    else:
        raise CliError(f"{arg!r} is not a public key (cppk1..., z..., base64url) nor a file")
    raw = _key_from_text(text)
    if raw is None:
        raise CliError(f"{arg} does not hold a public key (cppk1..., z..., base64url)")
    return raw


def _read_token(arg: str) -> str:
    if arg == "-":
        data = _read_stdin_bytes()
    elif arg.startswith("@"):
        data = _read_path(arg[1:])
    else:
        return arg.strip()
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CliError(f"{arg} is not text") from None


def _issuers(specs: list[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for spec in specs:
        issuer, sep, key = spec.rpartition("=")
        if not sep or not issuer or not key:
            raise CliError(f"--issuer takes ID=KEY, not {spec!r}")
        out[issuer] = load_aip_key(key)
    return out


def cmd_verify(args: argparse.Namespace) -> int:
    verifier = aip.Verifier(_issuers(args.issuer), resolve_key_ids=not args.no_key_ids, threads=1)
    verdict = verifier.verify(
        _read_token(args.token),
        args.tool,
        args.domain,
        now=parse_time(args.now) if args.now is not None else None,
    )
    if args.json:
        print(verdict.to_json())
    elif verdict.ok:
        evidence = verdict.evidence or {}
        print("accepted")
        print(f"issuer: {evidence.get('issuer')} ({evidence.get('mode')})")
        for i, link in enumerate(evidence.get("links", [])):
            tools = ",".join(link.get("tools") or []) or "(inherited)"
            print(f"  link {i}: {link.get('iss')} -> {link.get('sub')}  tools={tools}")
        print(f"holder: {evidence.get('holder')}")
    else:
        where = f" at link {verdict.link}" if verdict.link is not None else ""
        print(f"refused: {verdict.reason}{where} (HTTP {verdict.http_status}): {verdict.message}")
    return 0 if verdict.ok else 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def cmd_inspect(args: argparse.Namespace) -> int:
    decoded = aip.inspect(_read_token(args.token))
    print(json.dumps(_jsonable(decoded), indent=2, sort_keys=False))
    return 0


def add_parser(sub: Any) -> None:
    """Registers ``aip`` and its subcommands on the main parser's subparsers."""
    p = sub.add_parser(
        "aip",
        help="verify or inspect AIP (Agent Identity Protocol) tokens",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    aip_sub = p.add_subparsers(dest="aip_command", required=True, metavar="COMMAND")

    v = aip_sub.add_parser("verify", help="verify an AIP token for a tool", epilog=TIME_HELP)
    v.add_argument("token", metavar="TOKEN")
    v.add_argument(
        "--issuer", action="append", default=[], metavar="ID=KEY", help="a trusted issuer (repeatable)"
    )
    v.add_argument("--tool", required=True, metavar="T", help="the tool requested")
    v.add_argument("--domain", metavar="D", help="the domain requested")
    v.add_argument("--now", metavar="T", help="evaluate at this time (default now)")
    v.add_argument(
        "--no-key-ids", action="store_true", help="do not trust aip:key:ed25519:z... issuers by their id"
    )
    v.add_argument("--json", action="store_true", help="print the verdict as JSON")
    v.set_defaults(func=cmd_verify)

    i = aip_sub.add_parser("inspect", help="decode an AIP token's links WITHOUT verifying them")
    i.add_argument("token", metavar="TOKEN")
    i.set_defaults(func=cmd_inspect)
