"""The README's example, end to end."""

import chainproof as cp


def test_issue_invoke_verify_round_trip() -> None:
    root, agent = cp.SigningKey.generate(), cp.SigningKey.generate()
    token = cp.Token.issue(
        root,
        subject=agent.public_key,
        capabilities=[cp.Capability("bank/invoices/*", ["pay"], {"amount": cp.Max(500)})],
        purpose="bookkeeping",
        audiences=["bank"],
        principal="alice",
        expires_in=3600,
    )
    inv = token.invoke(
        agent, audience="bank", action="pay", resource="bank/invoices/17", args={"amount": 120}
    )
    verifier = cp.Verifier([root.public_key], audience="bank")
    verdict = verifier.verify(token.encode(), inv.encode())
    assert verdict.ok and verdict.reason is None
    again = verifier.verify(token, inv)
    assert not again.ok and again.reason == "REPLAYED"


def test_stats_count_every_input_once() -> None:
    root, agent = cp.SigningKey.generate(), cp.SigningKey.generate()
    token = cp.Token.issue(
        root,
        subject=agent.public_key,
        capabilities=[cp.Capability("bank/invoices/*", ["pay"])],
        purpose="bookkeeping",
        audiences=["bank"],
        principal="alice",
        expires_in=3600,
    )
    inv = token.invoke(agent, audience="bank", action="pay", resource="bank/invoices/1")
    verifier = cp.Verifier([root.public_key], audience="bank")
    verdicts = verifier.verify_batch([(token, inv), (token, inv), (b"junk", inv)])
    assert [v.reason for v in verdicts] == [None, "REPLAYED", "MALFORMED"]
    stats = verifier.stats()
    assert stats["calls"] == 1 and stats["requests"] == 3 and stats["accepted"] == 1
    assert stats["signatures"] == 4  # two decoded pairs, one block and one invocation each
    assert stats["refused"]["REPLAYED"] == 1 and stats["refused"]["MALFORMED"] == 1
    assert list(stats["refused"]) == cp.reason_codes()
    assert stats["requests"] == stats["accepted"] + sum(stats["refused"].values())
