"""The ``chainproof`` command line, driven through ``main([...])``."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import chainproof as cp
from chainproof.cli import (
    CliError,
    format_capability,
    main,
    parse_capability,
    parse_time,
    parse_value,
)

NOW = 1_772_443_800  # 2026-03-02T09:30:00Z
CAP = "bank/invoices/*:pay;amount<=50000;currency in EUR|USD"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def keygen(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    code, out, _ = run(capsys, "keygen", "--out", str(path))
    assert code == 0
    return out.strip()


class Chain:
    """Keys and files for a payer -> bookkeeper -> bank agent chain made through the CLI."""

    def __init__(self, capsys: pytest.CaptureFixture[str], tmp: Path) -> None:
        self.tmp = tmp
        self.root_pub = keygen(capsys, tmp / "root.key")
        (tmp / "root.pub").write_text(self.root_pub + "\n")
        self.bk_pub = keygen(capsys, tmp / "bk.key")
        self.agent_pub = keygen(capsys, tmp / "agent.key")
        (tmp / "agent.pub").write_text(self.agent_pub + "\n")
        code, out, err = run(
            capsys,
            "issue",
            "--key",
            str(tmp / "root.key"),
            "--subject",
            self.bk_pub,
            "--cap",
            CAP,
            "--purpose",
            "accounts-payable/invoices",
            "--audience",
            "bank-api",
            "--principal",
            "acme-corp",
            "--not-before",
            str(NOW - 60),
            "--expires-at",
            "2026-03-02T17:30:00Z",
            "--max-depth",
            "2",
            "--subject-id",
            "agent:bookkeeper",
            "--reason",
            "weekly payment run",
        )
        assert code == 0, err
        self.root_token = out.strip()
        (tmp / "t1").write_text(self.root_token + "\n")
        code, out, err = run(
            capsys,
            "delegate",
            "@" + str(tmp / "t1"),
            "--key",
            str(tmp / "bk.key"),
            "--subject",
            str(tmp / "agent.pub"),
            "--cap",
            'bank/invoices/INV-7:pay;amount<=1250.50;currency="EUR"',
            "--purpose",
            "accounts-payable/invoices/INV-7",
            "--expires-at",
            str(NOW + 3600),
            "--reason",
            "pay invoice INV-7",
        )
        assert code == 0, err
        self.token = out.strip()
        (tmp / "t2").write_text(self.token)
        self.invocation = self.invoke(capsys, "--arg", "amount=1250.50", "--arg", "currency=EUR")
        (tmp / "i1").write_text(self.invocation)

    def invoke(self, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
        code, out, err = run(
            capsys,
            "invoke",
            self.token,
            "--key",
            str(self.tmp / "agent.key"),
            "--audience",
            "bank-api",
            "--action",
            "pay",
            "--resource",
            "bank/invoices/INV-7",
            "--issued-at",
            str(NOW),
            *extra,
        )
        assert code == 0, err
        return out.strip()

    def verify(self, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
        return run(
            capsys,
            "verify",
            "@" + str(self.tmp / "t2"),
            "@" + str(self.tmp / "i1"),
            "--root",
            str(self.tmp / "root.pub"),
            "--audience",
            "bank-api",
            "--now",
            str(NOW + 10),
            *extra,
        )


@pytest.fixture
def chain(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Chain:
    return Chain(capsys, tmp_path)


# ---------------------------------------------------------------- keygen


def test_keygen_writes_secret_0600_and_prints_public_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "k.key"
    code, out, _ = run(capsys, "keygen", "--out", str(path))
    assert code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = path.read_text().strip()
    assert secret.startswith("cpsk1.")
    assert out.strip() == cp.SigningKey.decode(secret).public_key.encode()
    assert "cpsk1." not in out


def test_keygen_refuses_to_overwrite_without_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "k.key"
    path.write_text("keep me\n")
    path.chmod(0o644)
    code, out, err = run(capsys, "keygen", "--out", str(path))
    assert code == 2 and out == ""
    assert "exists" in err and "--force" in err
    assert path.read_text() == "keep me\n"
    code, out, _ = run(capsys, "keygen", "--out", str(path), "--force")
    assert code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cp.SigningKey.decode(path.read_text().strip()).public_key.encode() == out.strip()


def test_keygen_without_out_prints_secret_then_public(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "keygen")
    assert code == 0
    secret, public = out.split()
    assert cp.SigningKey.decode(secret).public_key.encode() == public
    code, again, _ = run(capsys, "keygen")
    assert again.split()[0] != secret  # fresh randomness each time


# ---------------------------------------------------------------- round trip


def test_round_trip_issue_delegate_invoke_verify(capsys: pytest.CaptureFixture[str], chain: Chain) -> None:
    token = cp.Token.decode(chain.token)
    assert token.depth == 1
    d = token.to_dict()
    assert d["principal"] == "acme-corp"
    root, hop = d["hops"]
    assert root["not_before"] == NOW - 60 and root["expires"] == NOW + 8 * 3600
    assert root["depth"] == 2 and root["subject_id"] == "agent:bookkeeper"
    assert hop["issuer"] == chain.bk_pub and hop["subject"] == chain.agent_pub
    assert hop["reason"] == "pay invoice INV-7"
    inv = cp.Invocation.decode(chain.invocation).to_dict()
    assert inv["args"] == {"amount": {"decimal": "1250.5"}, "currency": "EUR"}
    assert inv["issued_at"] == NOW

    code, out, err = chain.verify(capsys, "--purpose", "accounts-payable")
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == "accepted"
    assert "principal: acme-corp" in lines
    assert any(line.startswith("hop 1: ") and chain.agent_pub in line for line in lines)
    assert "    reason:       pay invoice INV-7" in lines
    assert "    capabilities: bank/invoices/INV-7:pay;amount<=1250.5;currency=EUR" in lines
    assert "    valid:        2026-03-02T09:29:00Z to 2026-03-02T17:30:00Z" in lines
    assert any(line.startswith("rfc8693: ") and '"sub": "acme-corp"' in line for line in lines)


def test_verify_refused_exits_1_with_reason_and_hop(capsys: pytest.CaptureFixture[str], chain: Chain) -> None:
    code, out, _ = chain.verify(capsys, "--purpose", "payroll")
    assert code == 1
    assert out.startswith("refused: PURPOSE_MISMATCH at hop ")
    code, out, _ = run(
        capsys,
        "verify",
        chain.token,
        chain.invocation,
        "--root",
        chain.root_pub,
        "--audience",
        "payroll-api",
        "--now",
        str(NOW),
    )
    assert code == 1
    assert out.startswith("refused: AUDIENCE_MISMATCH at hop 1: ")


def test_verify_now_evaluates_at_the_given_time(capsys: pytest.CaptureFixture[str], chain: Chain) -> None:
    code, out, _ = run(
        capsys,
        "verify",
        chain.token,
        chain.invocation,
        "--root",
        chain.root_pub,
        "--audience",
        "bank-api",
        "--now",
        "2026-03-02T12:00:00+00:00",
        "--freshness",
        "100000",
    )
    assert code == 1
    assert out.startswith("refused: EXPIRED at hop 1: ")


def test_verify_untrusted_root_and_undecodable_input_exit_1(
    capsys: pytest.CaptureFixture[str], chain: Chain
) -> None:
    code, out, _ = run(
        capsys, "verify", chain.token, chain.invocation, "--root", chain.agent_pub, "--audience", "bank-api"
    )
    assert code == 1 and out.startswith("refused: UNTRUSTED_ROOT at hop 0")
    code, out, _ = run(
        capsys, "verify", "cpt1.AAAA", chain.invocation, "--root", chain.root_pub, "--audience", "bank-api"
    )
    assert code == 1 and out.startswith("refused: MALFORMED")


def test_verify_json_output_parses(capsys: pytest.CaptureFixture[str], chain: Chain) -> None:
    code, out, _ = chain.verify(capsys, "--json")
    assert code == 0
    verdict = json.loads(out)
    assert verdict["ok"] is True and verdict["reason"] is None
    assert verdict["evidence"]["principal"] == "acme-corp"
    assert [h["index"] for h in verdict["evidence"]["hops"]] == [0, 1]
    code, out, _ = chain.verify(capsys, "--json", "--audience", "payroll-api")
    assert code == 1
    refused = json.loads(out)
    assert refused["ok"] is False and refused["reason"] == "AUDIENCE_MISMATCH" and refused["hop"] == 1


def test_inputs_from_stdin_and_binary_files(
    capsys: pytest.CaptureFixture[str], chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = chain.tmp / "t2.bin"
    binary.write_bytes(cp.Token.decode(chain.token).to_bytes())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(chain.invocation.encode() + b"\n")))
    code, out, err = run(
        capsys,
        "verify",
        "@" + str(binary),
        "-",
        "--root",
        "@" + str(chain.tmp / "root.pub"),
        "--audience",
        "bank-api",
        "--now",
        str(NOW),
    )
    assert code == 0, out + err
    assert out.startswith("accepted\n")
    code, out, err = run(capsys, "verify", "-", "-", "--root", chain.root_pub, "--audience", "bank-api")
    assert code == 2 and "standard input" in err


def test_delegate_keeps_parent_capabilities_when_no_cap_given(
    capsys: pytest.CaptureFixture[str], chain: Chain
) -> None:
    other = keygen(capsys, chain.tmp / "other.key")
    code, out, err = run(
        capsys, "delegate", chain.root_token, "--key", str(chain.tmp / "bk.key"), "--subject", other
    )
    assert code == 0, err
    hops = cp.Token.decode(out.strip()).to_dict()["hops"]
    assert hops[1]["capabilities"] == hops[0]["capabilities"]
    assert hops[1]["depth"] == 1 and hops[1]["purpose"] == "accounts-payable/invoices"


def test_delegate_refused_widening_is_an_error_exit_2(
    capsys: pytest.CaptureFixture[str], chain: Chain
) -> None:
    code, out, err = run(
        capsys,
        "delegate",
        chain.root_token,
        "--key",
        str(chain.tmp / "bk.key"),
        "--subject",
        chain.agent_pub,
        "--cap",
        "bank/**:pay",
    )
    assert code == 2 and out == ""
    assert err.startswith("error: refused (CAPABILITY_WIDENED at hop 1): ")
    assert "Traceback" not in err


def test_invoke_refuses_what_the_token_does_not_allow(
    capsys: pytest.CaptureFixture[str], chain: Chain
) -> None:
    code, out, err = run(
        capsys,
        "invoke",
        chain.token,
        "--key",
        str(chain.tmp / "agent.key"),
        "--audience",
        "bank-api",
        "--action",
        "pay",
        "--resource",
        "bank/invoices/INV-7",
        "--arg",
        "amount=1250.51",
        "--arg",
        "currency=EUR",
    )
    assert code == 2 and out == ""
    assert err.startswith("error: refused (CONSTRAINT_VIOLATED at hop 2): ")


# ---------------------------------------------------------------- inspect


def test_inspect_token_shows_the_chain(capsys: pytest.CaptureFixture[str], chain: Chain) -> None:
    d = cp.Token.decode(chain.token).to_dict()
    code, out, _ = run(capsys, "inspect", chain.token)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "token"
    assert "principal: acme-corp" in lines
    assert f"hop 0: {chain.root_pub} -> {chain.bk_pub} (agent:bookkeeper)" in lines
    assert f"hop 1: {chain.bk_pub} (agent:bookkeeper) -> {chain.agent_pub}" in lines
    assert f"    capabilities: {CAP}" in lines
    assert "    purpose:      accounts-payable/invoices/INV-7" in lines
    assert "    depth:        2 further delegation(s) allowed" in lines
    assert "    audiences:    bank-api" in lines
    assert "    reason:       weekly payment run" in lines
    for hop in d["hops"]:
        assert f"    block:        hash {hop['block_hash']}, id {hop['block_id']}" in lines
    code, out, _ = run(capsys, "inspect", "--json", chain.token)
    assert code == 0 and json.loads(out)["tip_hash"] == d["tip_hash"]


def test_inspect_invocation_shows_its_fields(capsys: pytest.CaptureFixture[str], chain: Chain) -> None:
    inv = cp.Invocation.decode(chain.invocation)
    binary = chain.tmp / "i1.bin"
    binary.write_bytes(inv.to_bytes())
    for arg in (chain.invocation, "@" + str(binary)):
        code, out, _ = run(capsys, "inspect", arg)
        assert code == 0
        lines = out.splitlines()
        assert lines[0] == "invocation"
        assert "audience:   bank-api" in lines
        assert "action:     pay" in lines
        assert "resource:   bank/invoices/INV-7" in lines
        assert "args:       amount=1250.5, currency=EUR" in lines
        assert "issued at:  2026-03-02T09:30:00Z" in lines
        assert f"nonce:      {inv.nonce.hex()}" in lines


# ---------------------------------------------------------------- errors and exit codes


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["issue", "--key", "k"],
        ["verify", "cpt1.x"],
        ["issue", "--key", "k", "--subject", "s", "--cap", "a:b", "--purpose", "p", "--audience", "a",
         "--principal", "p", "--expires-in", "5", "--expires-at", "6"],
    ],
)  # fmt: skip
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "usage:" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "issue", "--help")
    assert code == 0
    assert "ARG in V1|V2" in out and "ARG^=PREFIX" in out and "bank/invoices/*:pay" in out


def test_chainproof_errors_print_one_line_no_traceback(
    capsys: pytest.CaptureFixture[str], chain: Chain
) -> None:
    bad_key = chain.tmp / "bad.key"
    bad_key.write_text("cpsk1.tooshort\n")
    cases = [
        ["inspect", "cpt1.AAAA"],
        ["inspect", "hello"],
        ["inspect", "@" + str(chain.tmp / "missing")],
        ["delegate", "not-a-token", "--key", str(chain.tmp / "bk.key"), "--subject", chain.agent_pub],
        ["delegate", chain.root_token, "--key", str(bad_key), "--subject", chain.agent_pub],
        ["delegate", chain.root_token, "--key", str(chain.tmp / "bk.key"), "--subject", "cppk1.AAAA"],
        ["delegate", chain.root_token, "--key", str(chain.tmp / "bk.key"), "--subject", str(bad_key)],
        ["delegate", chain.root_token, "--key", str(chain.tmp / "agent.key"), "--subject", chain.agent_pub],
        ["delegate", chain.root_token, "--key", str(chain.tmp / "bk.key"), "--subject", "nowhere"],
        ["delegate", chain.root_token, "--key", str(chain.tmp / "bk.key"), "--subject", chain.agent_pub,
         "--cap", "bank/invoices/*"],
        ["verify", chain.token, chain.invocation, "--root", "cppk1.AAAA", "--audience", "bank-api"],
        ["verify", chain.token, chain.invocation, "--root", chain.root_pub, "--audience", "a", "--now", "x"],
        ["invoke", chain.token, "--key", str(chain.tmp / "agent.key"), "--audience", "bank-api",
         "--action", "pay", "--resource", "bank/invoices/INV-7", "--arg", "amount"],
    ]  # fmt: skip
    for argv in cases:
        code, out, err = run(capsys, *argv)
        assert code == 2, argv
        assert out == "", argv
        assert err.startswith("error: ") and err.count("\n") == 1, (argv, err)
        assert "Traceback" not in err


# ---------------------------------------------------------------- the SPEC parser


def test_spec_each_operator() -> None:
    cap = parse_capability(
        "api/**:read,write;n<=10;n>=-3;mode=fast;cur in EUR|USD|7;path^=/tmp/;exact=12;ratio<=0.75"
    )
    assert cap.resource == "api/**"
    assert cap.actions == ("read", "write")
    assert cap.constraints == {
        "n": (cp.Max(10), cp.Min(-3)),
        "mode": (cp.Eq("fast"),),
        "cur": (cp.OneOf(["EUR", "USD", 7]),),
        "path": (cp.Prefix("/tmp/"),),
        "exact": (cp.Eq(12),),
        "ratio": (cp.Max(Decimal("0.75")),),
    }
    exact, ratio, cur = cap.constraints["exact"][0], cap.constraints["ratio"][0], cap.constraints["cur"][0]
    assert isinstance(exact, cp.Eq) and type(exact.value) is int
    assert isinstance(ratio, cp.Max) and type(ratio.value) is Decimal
    assert isinstance(cur, cp.OneOf) and type(cur.values[2]) is int


def test_spec_decimals_and_quoted_text() -> None:
    assert parse_value("1250.50") == Decimal("1250.50") and isinstance(parse_value("1250.50"), Decimal)
    assert parse_value(".5") == Decimal("0.5") and parse_value("-7") == -7 and parse_value("+3") == 3
    assert parse_value('"42"') == "42"
    assert parse_value(' "a;b|c" ') == "a;b|c"
    assert parse_value('"say \\"hi\\" \\\\ bye"') == 'say "hi" \\ bye'
    assert parse_value("1e3") == "1e3" and parse_value("EUR") == "EUR" and parse_value("-") == "-"
    cap = parse_capability('x/y:act;code="0042";tag in "1"|2|"a|b";note="x;y";p^="12"')
    assert cap.constraints == {
        "code": (cp.Eq("0042"),),
        "tag": (cp.OneOf(["1", 2, "a|b"]),),
        "note": (cp.Eq("x;y"),),
        "p": (cp.Prefix("12"),),
    }
    assert parse_capability("x:*;p^=12").constraints == {"p": (cp.Prefix("12"),)}


def test_spec_resource_may_contain_colons() -> None:
    cap = parse_capability("urn:acme:ledger/*:read")
    assert cap.resource == "urn:acme:ledger/*" and cap.actions == ("read",)


@pytest.mark.parametrize(
    "spec",
    [
        "no-actions",
        ":read",
        "x:",
        "x:read,",
        "x:read;",
        "x:read;n<=abc",
        'x:read;n>="5"',
        "x:read;n<=",
        "x:read;n ~ 5",
        'x:read;n="open',
        'x:read;n=a"b',
        'x:read;n="bad\\q"',
        "x:read;c in a||b",
    ],
)
def test_spec_errors(spec: str) -> None:
    with pytest.raises(CliError):
        parse_capability(spec)


def test_spec_round_trips_through_the_readable_form() -> None:
    root, agent = cp.SigningKey.generate(), cp.SigningKey.generate()
    spec = 'api/*/x:b,a;amount<=12.5;amount>=1;cur in EUR|"5"|5;id="00 7";path^=/srv/;name="a\\"b"'

    def caps(text: str) -> list[dict[str, object]]:
        token = cp.Token.issue(
            root,
            subject=agent.public_key,
            capabilities=[parse_capability(text)],
            purpose="p",
            audiences=["a"],
            principal="p",
            expires_in=60,
        )
        result: list[dict[str, object]] = token.to_dict()["hops"][0]["capabilities"]
        return result

    first = caps(spec)
    text = format_capability(first[0])
    assert caps(text) == first
    assert format_capability(caps(text)[0]) == text


def test_parse_time_forms() -> None:
    assert parse_time("1772443800") == NOW
    assert parse_time("2026-03-02T09:30:00Z") == NOW
    assert parse_time("2026-03-02T09:30:00") == NOW
    assert parse_time("2026-03-02T10:30:00+01:00") == NOW
    for bad in ("tomorrow", "-5", "2026-13-01"):
        with pytest.raises(CliError):
            parse_time(bad)


# ---------------------------------------------------------------- the installed entry point


def test_python_m_chainproof_demo_exits_0() -> None:
    # the package this test imported (not resolving symlinks), so the child runs the same code
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(cp.__file__)))
    env = dict(os.environ, PYTHONPATH=package_root, PYTHONIOENCODING="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "chainproof", "demo"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accepted" in result.stdout
    assert "UNEXPECTED" not in result.stdout
