"""The ``chainproof`` command line: keys, tokens, invocations, verification.

Every subcommand that takes a token, an invocation or a public key accepts
the text form itself, ``@path`` to read it from a file (text or binary), or
``-`` for standard input. Exit codes: 0 success (``verify``: accepted),
1 ``verify`` refused, 2 usage errors and inputs that cannot be used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ._native import Invocation, PublicKey, SigningKey, Token, Verdict, Verifier
from .capability import Capability, Constraint, Eq, Max, Min, OneOf, Prefix, Value
from .errors import ChainproofError, RefusedError

__all__ = [
    "CliError",
    "format_capability",
    "format_chain",
    "format_invocation",
    "format_value",
    "main",
    "parse_capability",
    "parse_time",
    "parse_value",
]

TOKEN_PREFIX = "cpt1."
INVOCATION_PREFIX = "cpi1."
PUBLIC_KEY_PREFIX = "cppk1."
SIGNING_KEY_PREFIX = "cpsk1."

CAP_SPEC_HELP = """\
capability SPEC:
  RESOURCE:ACTION[,ACTION...][;CONSTRAINT...]

  RESOURCE   a /-separated pattern; * matches one segment, a trailing ** the rest
  ACTION     an action name, or * for every action
  CONSTRAINT one of
    ARG<=N          ARG is a number at most N
    ARG>=N          ARG is a number at least N
    ARG=V           ARG equals V
    ARG in V1|V2    ARG equals one of the values
    ARG^=PREFIX     ARG is a text starting with PREFIX

  A value made only of digits, with an optional sign and decimal point
  (42, -7, 1250.50) is a number (an integer or an exact decimal); anything
  else is text. Write "..." to force text ("42"); inside quotes \\" and \\\\
  escape a quote and a backslash. Quote values containing ; or |.
  An argument may carry several constraints (amount>=10;amount<=500).

  example: 'bank/invoices/*:pay;amount<=50000;currency in EUR|USD'
"""

TIME_HELP = "T is seconds since the Unix epoch or an ISO 8601 time (UTC unless it names an offset)."


class CliError(Exception):
    """A usage error detected by the command line itself (exit code 2)."""


# --------------------------------------------------------------------------
# values and capability specs


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_.\-/:@*+#~!?%&()\[\]{}<>^$,=]+")
_OPERATOR = re.compile(r"(?P<name>[^\s<>=^\"|;]+)\s*(?P<op><=|>=|\^=|=)(?P<value>.*)", re.DOTALL)
_ONE_OF = re.compile(r"(?P<name>[^\s<>=^\"|;]+)\s+in\s+(?P<value>.*)", re.DOTALL)


def _split_unquoted(text: str, sep: str) -> list[str]:
    """Splits ``text`` at ``sep`` outside double quotes (backslash escapes inside quotes)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if quoted:
        raise CliError(f"unterminated quote in {text!r}")
    parts.append("".join(current))
    return parts


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            if i + 1 >= len(body) or body[i + 1] not in '"\\':
                raise CliError(f'in {raw}, only \\" and \\\\ are escapes')
            out.append(body[i + 1])
            i += 2
            continue
        if ch == '"':
            raise CliError(f"stray quote inside {raw}")
        out.append(ch)
        i += 1
    return "".join(out)


def parse_value(raw: str) -> Value:
    """A value as written on the command line: a number (int or Decimal) when
    it is only digits with an optional sign and point, text otherwise;
    ``"..."`` is always text."""
    text = raw.strip()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return _unquote(text)
    if '"' in text:
        raise CliError(f"misplaced quote in value {raw!r} (quote the whole value)")
    if _NUMBER.fullmatch(text):
        if "." in text:
            return Decimal(text)
        return int(text)
    return text


def _number(value: Value, where: str) -> int | Decimal:
    if isinstance(value, str):
        raise CliError(f"{where} needs a number, got text {value!r}")
    return value


def parse_capability(spec: str) -> Capability:
    """Parses a capability SPEC (see ``CAP_SPEC_HELP``)."""
    parts = _split_unquoted(spec, ";")
    head = parts[0].strip()
    resource, colon, actions_text = head.rpartition(":")
    if not colon or not resource:
        raise CliError(f"capability {spec!r}: expected RESOURCE:ACTION[,ACTION...]")
    actions = [a.strip() for a in actions_text.split(",")]
    if not actions or any(not a for a in actions):
        raise CliError(f"capability {spec!r}: empty action name")
    constraints: dict[str, list[Constraint]] = {}
    for part in parts[1:]:
        item = part.strip()
        if not item:
            raise CliError(f"capability {spec!r}: empty constraint")
        name, constraint = _parse_constraint(item, spec)
        constraints.setdefault(name, []).append(constraint)
    return Capability(resource.strip(), actions, constraints)


def _parse_constraint(item: str, spec: str) -> tuple[str, Constraint]:
    m = _OPERATOR.fullmatch(item)
    if m:
        name, op, raw = m["name"], m["op"], m["value"]
        where = f"constraint {item!r}"
        if not raw.strip():
            raise CliError(f"capability {spec!r}: {where} has no value")
        if op == "<=":
            return name, Max(_number(parse_value(raw), where))
        if op == ">=":
            return name, Min(_number(parse_value(raw), where))
        if op == "^=":
            stripped = raw.strip()
            if stripped.startswith('"'):
                value = parse_value(stripped)
                assert isinstance(value, str)
                return name, Prefix(value)
            return name, Prefix(stripped)
        return name, Eq(parse_value(raw))
    m = _ONE_OF.fullmatch(item)
    if m:
        values = [parse_value(v) for v in _split_unquoted(m["value"], "|")]
        if any(isinstance(v, str) and not v for v in values):
            raise CliError(f"capability {spec!r}: empty value in {item!r}")
        return m["name"], OneOf(values)
    raise CliError(
        f"capability {spec!r}: cannot read constraint {item!r} (expected ARG<=N, ARG>=N, ARG=V, "
        "ARG in V1|V2 or ARG^=PREFIX)"
    )


def format_value(value: Any) -> str:
    """A value from ``to_dict()`` (int, ``{"decimal": "..."}`` or text) in SPEC syntax."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict) and set(value) == {"decimal"}:
        return str(value["decimal"])
    text = str(value)
    if _PLAIN_TEXT.fullmatch(text) and not _NUMBER.fullmatch(text) and "|" not in text:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_OPERATORS = {"max": "<=", "min": ">=", "eq": "=", "prefix": "^="}


def format_capability(cap: Mapping[str, Any]) -> str:
    """A capability from ``to_dict()`` in SPEC syntax (parsable by :func:`parse_capability`)."""
    text = f"{cap['resource']}:{','.join(cap['actions'])}"
    for c in cap.get("constraints", []):
        kind = c["kind"]
        if kind == "one_of":
            text += f";{c['arg']} in " + "|".join(format_value(v) for v in c["value"])
        else:
            text += f";{c['arg']}{_OPERATORS.get(kind, '?' + kind + '?')}{format_value(c['value'])}"
    return text


# --------------------------------------------------------------------------
# times, inputs and keys


def parse_time(text: str) -> int:
    """Seconds since the epoch from an integer or an ISO 8601 time (UTC if naive)."""
    raw = text.strip()
    if re.fullmatch(r"[+-]?\d+", raw):
        value = int(raw)
    else:
        try:
            when = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise CliError(f"{text!r} is neither seconds since the epoch nor an ISO 8601 time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        value = int(when.timestamp())
    if value < 0:
        raise CliError(f"time {text!r} is before 1970")
    return value


def iso_time(seconds: int) -> str:
    """An epoch time as ISO 8601 UTC (``2026-03-02T09:30:00Z``)."""
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return f"{seconds} (epoch seconds)"


def _read_stdin_bytes() -> bytes:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        data = buffer.read()
        assert isinstance(data, bytes)
        return data
    return sys.stdin.read().encode()


def _read_path(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror or e}") from None


def read_input(arg: str) -> str | bytes:
    """The text itself, ``@path`` (file contents) or ``-`` (standard input).

    File and stdin contents that are ASCII are returned as stripped text
    (a text form); anything else as raw bytes (the binary encoding)."""
    if arg == "-":
        data = _read_stdin_bytes()
    elif arg.startswith("@"):
        data = _read_path(arg[1:])
    else:
        return arg.strip()
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        return data


def _as_text(arg: str, what: str) -> str:
    value = read_input(arg)
    if isinstance(value, bytes):
        raise CliError(f"{what} {arg!r} is not a text form")
    return value


def load_public_key(arg: str) -> PublicKey:
    """A public key from its text form, ``@path``, or a path to a file holding it."""
    if arg.startswith(PUBLIC_KEY_PREFIX):
        return PublicKey.decode(arg.strip())
    if arg.startswith("@") or arg == "-":
        text = _as_text(arg, "public key")
    elif arg.startswith(SIGNING_KEY_PREFIX):
        raise CliError("that is a secret key; give the public key (cppk1....)")
    else:
        if not os.path.exists(arg):
            raise CliError(f"{arg!r} is neither a public key (cppk1....) nor a file")
        text = _read_path(arg).decode("ascii", errors="replace").strip()
    if text.startswith(SIGNING_KEY_PREFIX):
        raise CliError(f"{arg} holds a secret key; give the public key (cppk1....)")
    return PublicKey.decode(text)


def load_signing_key(path: str) -> SigningKey:
    """A secret key from a file holding its text form (``cpsk1....``)."""
    text = _read_path(path[1:] if path.startswith("@") else path).decode("ascii", errors="replace").strip()
    return SigningKey.decode(text)


def load_token(arg: str) -> Token:
    return Token.decode(read_input(arg))


def _write_secret(path: str, text: str, force: bool) -> None:
    target = Path(path)
    if target.exists() or target.is_symlink():
        if not force:
            raise CliError(f"{path} exists; use --force to overwrite it")
        target.unlink()
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        raise CliError(f"cannot create {path}: {e.strerror or e}") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (text + "\n").encode("ascii"))
    finally:
        os.close(fd)


# --------------------------------------------------------------------------
# readable output


def _label(key: str, subject_id: str | None, names: Mapping[str, str]) -> str:
    base = names.get(key, key)
    return f"{base} ({subject_id})" if subject_id else base


def format_chain(chain: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[str]:
    """Readable lines for a chain as given by ``Token.to_dict()`` or a verdict's evidence.

    ``names`` optionally maps public key text forms to readable names."""
    names = names or {}
    hops: list[Mapping[str, Any]] = list(chain.get("hops", []))
    lines = [
        f"principal: {chain.get('principal')}",
        f"root key:  {_label(str(chain.get('root_key')), None, names)}",
    ]
    holder_id = hops[-1].get("subject_id") if hops else None
    lines.append(f"holder:    {_label(str(chain.get('holder')), holder_id, names)}")
    lines.append(f"purpose:   {chain.get('purpose')}")
    lines.append(f"blocks:    {len(hops)}")
    previous_id: str | None = None
    for hop in hops:
        issuer = _label(str(hop["issuer"]), previous_id, names)
        subject = _label(str(hop["subject"]), hop.get("subject_id"), names)
        lines.append(f"hop {hop['index']}: {issuer} -> {subject}")
        caps = [format_capability(c) for c in hop.get("capabilities", [])]
        lines.append(f"    capabilities: {caps[0] if caps else '(none)'}")
        lines.extend(f"                  {c}" for c in caps[1:])
        lines.append(f"    purpose:      {hop.get('purpose')}")
        lines.append(f"    valid:        {iso_time(hop['not_before'])} to {iso_time(hop['expires'])}")
        lines.append(f"    depth:        {hop.get('depth')} further delegation(s) allowed")
        lines.append(f"    audiences:    {', '.join(hop.get('audiences', []))}")
        if hop.get("reason") is not None:
            lines.append(f"    reason:       {hop['reason']}")
        lines.append(f"    block:        hash {hop.get('block_hash')}, id {hop.get('block_id')}")
        previous_id = hop.get("subject_id")
    return lines


def format_invocation(inv: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[str]:
    """Readable lines for an invocation as given by ``Invocation.to_dict()``."""
    names = names or {}
    args = inv.get("args") or {}
    lines = []
    if "holder" in inv:
        lines.append(f"holder:     {_label(str(inv['holder']), None, names)}")
    lines += [
        f"audience:   {inv.get('audience')}",
        f"action:     {inv.get('action')}",
        f"resource:   {inv.get('resource')}",
        "args:       " + (", ".join(f"{k}={format_value(v)}" for k, v in args.items()) or "(none)"),
        f"issued at:  {iso_time(int(inv.get('issued_at', 0)))}",
        f"nonce:      {inv.get('nonce')}",
        f"token hash: {inv.get('token_hash')}",
        f"args hash:  {inv.get('args_digest')}",
    ]
    return lines


def format_refusal(verdict: Verdict) -> str:
    where = f" at hop {verdict.hop}" if verdict.hop is not None else ""
    return f"refused: {verdict.reason}{where}: {verdict.message}"


def _print(lines: Sequence[str]) -> None:
    for line in lines:
        print(line)


# --------------------------------------------------------------------------
# subcommands


def _validity(args: argparse.Namespace) -> tuple[int | None, int | None, int | None]:
    """(expires_in, expires_at, not_before) from the options."""
    expires_in: int | None = args.expires_in
    if expires_in is not None and expires_in <= 0:
        raise CliError("--expires-in must be positive")
    expires_at = parse_time(args.expires_at) if args.expires_at is not None else None
    not_before = parse_time(args.not_before) if args.not_before is not None else None
    return expires_in, expires_at, not_before


def cmd_keygen(args: argparse.Namespace) -> int:
    key = SigningKey.generate()
    if args.out:
        _write_secret(args.out, key.encode(), args.force)
    else:
        print(key.encode())
    print(key.public_key.encode())
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    root = load_signing_key(args.key)
    expires_in, expires_at, not_before = _validity(args)
    token = Token.issue(
        root,
        subject=load_public_key(args.subject),
        capabilities=[parse_capability(s) for s in args.cap],
        purpose=args.purpose,
        audiences=args.audience,
        principal=args.principal,
        max_depth=args.max_depth,
        subject_id=args.subject_id,
        reason=args.reason,
        expires_in=expires_in,
        expires_at=expires_at,
        not_before=not_before,
    )
    print(token.encode())
    return 0


def cmd_delegate(args: argparse.Namespace) -> int:
    token = load_token(args.token)
    holder = load_signing_key(args.key)
    expires_in, expires_at, not_before = _validity(args)
    child = token.delegate(
        holder,
        subject=load_public_key(args.subject),
        capabilities=[parse_capability(s) for s in args.cap] if args.cap else None,
        purpose=args.purpose,
        audiences=args.audience or None,
        max_depth=args.max_depth,
        subject_id=args.subject_id,
        reason=args.reason,
        expires_in=expires_in,
        expires_at=expires_at,
        not_before=not_before,
    )
    print(child.encode())
    return 0


def _parse_arg(item: str) -> tuple[str, Value]:
    name, eq, raw = item.partition("=")
    if not eq or not name.strip():
        raise CliError(f"--arg {item!r}: expected NAME=VALUE")
    return name.strip(), parse_value(raw)


def cmd_invoke(args: argparse.Namespace) -> int:
    token = load_token(args.token)
    holder = load_signing_key(args.key)
    values: dict[str, Value] = {}
    for item in args.arg:
        name, value = _parse_arg(item)
        if name in values:
            raise CliError(f"--arg {name} given twice")
        values[name] = value
    inv = token.invoke(
        holder,
        audience=args.audience,
        action=args.action,
        resource=args.resource,
        args=values,
        issued_at=parse_time(args.issued_at) if args.issued_at is not None else None,
    )
    print(inv.encode())
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    if args.token == "-" and args.invocation == "-":
        raise CliError("only one of TOKEN and INVOCATION can be read from standard input")
    verifier = Verifier(
        [load_public_key(r) for r in args.root],
        audience=args.audience,
        purposes=args.purpose or None,
        leeway=args.leeway,
        freshness=args.freshness,
    )
    verdict = verifier.verify(
        read_input(args.token),
        read_input(args.invocation),
        now=parse_time(args.now) if args.now is not None else None,
    )
    if args.json:
        print(verdict.to_json())
    elif verdict.ok:
        print("accepted")
        evidence = verdict.evidence or {}
        _print(format_chain(evidence))
        if "invocation" in evidence:
            print("invocation:")
            _print(["    " + line for line in format_invocation(evidence["invocation"])])
        rfc = evidence.get("rfc8693")
        if rfc is not None:
            print("rfc8693: " + json.dumps(rfc, sort_keys=True))
    else:
        print(format_refusal(verdict))
    return 0 if verdict.ok else 1


def cmd_inspect(args: argparse.Namespace) -> int:
    data = read_input(args.item)
    obj: Token | Invocation
    if isinstance(data, str):
        if data.startswith(TOKEN_PREFIX):
            obj = Token.decode(data)
        elif data.startswith(INVOCATION_PREFIX):
            obj = Invocation.decode(data)
        else:
            raise CliError("not a token (cpt1....) nor an invocation (cpi1....)")
    else:
        try:
            obj = Token.decode(data)
        except ChainproofError as token_error:
            try:
                obj = Invocation.decode(data)
            except ChainproofError as inv_error:
                raise CliError(
                    f"neither a binary token ({token_error}) nor a binary invocation ({inv_error})"
                ) from None
    d = obj.to_dict()
    if args.json:
        print(json.dumps(d, indent=2, sort_keys=True))
    elif isinstance(obj, Token):
        print("token")
        _print(format_chain(d))
        print("rfc8693: " + json.dumps(d.get("rfc8693"), sort_keys=True))
    else:
        print("invocation")
        _print(format_invocation(d))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    return demo.run(sys.stdout)


# --------------------------------------------------------------------------
# argument parsing


def _add_validity(p: argparse.ArgumentParser, required: bool) -> None:
    group = p.add_mutually_exclusive_group(required=required)
    group.add_argument("--expires-in", type=int, metavar="SECONDS", help="lifetime from now")
    group.add_argument("--expires-at", metavar="T", help="absolute expiry; " + TIME_HELP)
    p.add_argument("--not-before", metavar="T", help="not valid before T")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``chainproof`` command."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="chainproof",
        description="Issue, delegate, invoke, verify and inspect delegation-bound capability tokens.",
        epilog="TOKEN, INVOCATION and PUBKEY arguments take the text form, @path or - (stdin).\n"
        "Exit codes: 0 ok/accepted, 1 refused (verify), 2 usage error or unusable input.",
        formatter_class=raw,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("keygen", help="generate a signing key", description="Generate an Ed25519 key.")
    p.add_argument("--out", metavar="PATH", help="write the secret key here (mode 0600) instead of stdout")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser(
        "issue", help="issue a root token", epilog=CAP_SPEC_HELP + "\n" + TIME_HELP, formatter_class=raw
    )
    p.add_argument("--key", required=True, metavar="ROOTKEYFILE", help="file with the root's secret key")
    p.add_argument("--subject", required=True, metavar="PUBKEY", help="the holder's public key")
    p.add_argument("--cap", action="append", required=True, metavar="SPEC", help="a capability (repeatable)")
    p.add_argument(
        "--purpose", required=True, metavar="P", help="purpose path, e.g. accounts-payable/invoices"
    )
    p.add_argument("--audience", action="append", required=True, metavar="A", help="a service (repeatable)")
    p.add_argument("--principal", required=True, metavar="NAME", help="the accountable principal")
    _add_validity(p, required=True)
    p.add_argument("--max-depth", type=int, metavar="N", help="further delegations allowed (default 0)")
    p.add_argument("--subject-id", metavar="ID", help="a readable id of the holder (SPIFFE id, URI)")
    p.add_argument("--reason", metavar="TEXT", help="why this authority is granted")
    p.set_defaults(func=cmd_issue)

    p = sub.add_parser(
        "delegate",
        help="delegate a narrowed token to another key",
        description="Append a block; omitted fields keep the parent's values (max-depth: parent's - 1).",
        epilog=CAP_SPEC_HELP + "\n" + TIME_HELP,
        formatter_class=raw,
    )
    p.add_argument("token", metavar="TOKEN")
    p.add_argument("--key", required=True, metavar="HOLDERKEYFILE", help="file with the holder's secret key")
    p.add_argument("--subject", required=True, metavar="PUBKEY", help="the next holder's public key")
    p.add_argument("--cap", action="append", metavar="SPEC", help="a capability (repeatable)")
    p.add_argument("--purpose", metavar="P", help="the parent's purpose or a refinement of it")
    p.add_argument("--audience", action="append", metavar="A", help="a service (repeatable)")
    _add_validity(p, required=False)
    p.add_argument("--max-depth", type=int, metavar="N")
    p.add_argument("--subject-id", metavar="ID")
    p.add_argument("--reason", metavar="TEXT", help="why this delegation is made")
    p.set_defaults(func=cmd_delegate)

    p = sub.add_parser(
        "invoke",
        help="sign an invocation (proof of possession)",
        epilog='VALUE follows the SPEC value rules: digits make a number, "..." forces text.\n' + TIME_HELP,
        formatter_class=raw,
    )
    p.add_argument("token", metavar="TOKEN")
    p.add_argument("--key", required=True, metavar="HOLDERKEYFILE")
    p.add_argument("--audience", required=True, metavar="A", help="the receiving service")
    p.add_argument("--action", required=True, metavar="X")
    p.add_argument("--resource", required=True, metavar="R")
    p.add_argument(
        "--arg", action="append", default=[], metavar="NAME=VALUE", help="an argument (repeatable)"
    )
    p.add_argument("--issued-at", metavar="T", help="issue time (default now)")
    p.set_defaults(func=cmd_invoke)

    p = sub.add_parser("verify", help="verify a token and an invocation", epilog=TIME_HELP)
    p.add_argument("token", metavar="TOKEN")
    p.add_argument("invocation", metavar="INVOCATION")
    p.add_argument("--root", action="append", required=True, metavar="PUBKEY", help="a trusted root key")
    p.add_argument("--audience", required=True, metavar="A", help="this service's audience id")
    p.add_argument("--purpose", action="append", metavar="P", help="an accepted purpose (repeatable)")
    p.add_argument("--now", metavar="T", help="evaluate at this time (default now)")
    p.add_argument("--leeway", type=int, metavar="SECONDS", help="clock skew allowed (default 60)")
    p.add_argument("--freshness", type=int, metavar="SECONDS", help="invocation freshness window")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("inspect", help="show a token's chain or an invocation's fields")
    p.add_argument("item", metavar="TOKEN_OR_INVOCATION")
    p.add_argument("--json", action="store_true", help="print to_dict() as JSON")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("demo", help="run the built-in payer -> bookkeeper -> banking agent demo")
    p.set_defaults(func=cmd_demo)

    from .cli_aip import add_parser as add_aip_parser  # imports this module: kept local

    add_aip_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    try:
        code = args.func(args)
        assert isinstance(code, int)
        return code
    except RefusedError as e:
        where = f" at hop {e.hop}" if e.hop is not None else ""
        print(f"error: refused ({e.reason}{where}): {e}", file=sys.stderr)
    except (ChainproofError, CliError) as e:
        print(f"error: {e}", file=sys.stderr)
    except BrokenPipeError:
        return 1
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
