"""/check answers a resident CHECKS_PER_HOUR times an hour; then it refuses, as THROTTLED."""

from __future__ import annotations

from bot import fraud_check
from bot.refusals import Reason, Refused
from tests.bot.test_destinations import province, runtime  # noqa: F401 (fixtures)


async def test_checks_are_refused_beyond_the_hourly_limit(runtime):  # noqa: F811
    for _ in range(fraud_check.CHECKS_PER_HOUR):
        result = await fraud_check.check(runtime, "p" * 64, "0912 345 678")
        assert isinstance(result, fraud_check.CheckResult) and result.outcome == "unknown"
    assert await fraud_check.check(runtime, "p" * 64, "0912 345 678") == Refused(Reason.THROTTLED)
    other = await fraud_check.check(runtime, "q" * 64, "0912 345 678")  # another resident
    assert isinstance(other, fraud_check.CheckResult)
