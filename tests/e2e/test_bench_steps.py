"""The benchmarks' scripted residents follow the conversation as it is: a changed question must
fail here, not leave `bench/intake.py` measuring timeouts."""

from __future__ import annotations

from bench.intake import TIP_STEPS
from tests.e2e.driver import Person


async def test_the_intake_benchmarks_tip_goes_through(sandbox, bot):
    resident = Person(sandbox, sandbox.add_user("Bench", language_code="vi"))
    for action, argument, expect in TIP_STEPS:
        if action == "send":
            await resident.send(argument, expect=expect)
        else:
            await resident.tap(argument, expect=expect)
    with bot.db() as conn:
        assert conn.execute("SELECT count(*) FROM tips").fetchone()[0] == 1
    assert not sandbox.errors
