"""Each reason a service can refuse with has one text where the handler meets it, in both
languages, and no two reasons of one request share a text."""

from __future__ import annotations

import pytest

from bot.i18n import texts
from bot.refusals import Reason
from handlers.followup import answer_refused_text
from handlers.onboarding_views import join_refused, revoke_refused

ANSWER = (Reason.BANNED, Reason.ENDED, Reason.TOO_MANY)  # bot/casework.answer_refusal
INVITE = (Reason.UNKNOWN, Reason.USED, Reason.USED_BY_YOU, Reason.EXPIRED)  # onboarding.redeem
REVOKE = (Reason.UNKNOWN, Reason.IS_ADMIN, Reason.ALREADY, Reason.NOT_ADMIN)  # onboarding.revoke


@pytest.mark.parametrize("language", ["vi", "en"])
def test_one_text_for_each_reason(language):
    t = texts(language)
    for reasons, text_of in (
        (ANSWER, lambda reason: answer_refused_text(t, reason)),
        (INVITE, lambda reason: join_refused(t, reason)),
        (REVOKE, lambda reason: revoke_refused(t, reason, None)),
    ):
        said = [text_of(reason) for reason in reasons]
        assert all(said) and len(set(said)) == len(reasons), said
