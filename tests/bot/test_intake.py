import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.intake import (
    MAX_ATTACHMENTS,
    MAX_DESCRIPTION,
    Attachment,
    Draft,
    Step,
    clean_text,
    is_meaningful_text,
)


def walk(draft: Draft) -> list[Step]:
    steps = [draft.step]
    while draft.step is not Step.REVIEW:
        steps.append(draft.advance())
    return steps


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("crime", ["category", "kind", "when", "commune", "description", "review"]),
        ("forest", ["category", "kind", "urgent", "commune", "description", "review"]),
        ("fraud", ["category", "kind", "channels", "phones", "accounts", "links", "loss",
                   "commune", "description", "review"]),
        ("other", ["category", "urgent", "commune", "description", "review"]),
    ],
)  # fmt: skip
def test_each_category_has_its_questions(category, expected):
    """The shortest path: location and attachments are offered on the review, not asked."""
    draft = Draft()
    draft.choose_category(category)
    assert walk(draft) == expected


def test_urgency_is_never_asked_twice():
    draft = Draft()
    draft.choose_category("other")
    draft.urgent = True  # answered already (or by "happening now")
    assert walk(draft) == ["category", "commune", "description", "review"]
    crime = Draft()
    crime.choose_category("crime")
    crime.answer_when("now")
    assert crime.urgent is True and Step.URGENT not in walk(crime)
    crime.answer_when("earlier")
    assert crime.urgent is False and Step.URGENT not in crime.missing()


def test_scam_details_skipped_with_one_tap():
    draft = Draft()
    draft.choose_category("fraud")
    draft.step = Step.CHANNELS
    assert draft.skip_fraud_details() is Step.COMMUNE
    draft.step = Step.REVIEW
    draft.start_edit("category")
    draft.step = Step.PHONES
    assert draft.skip_fraud_details() is Step.REVIEW  # while editing: back to the review


def test_fraud_needs_no_urgency_answer():
    draft = Draft(category="fraud", kind="tasks", commune_unknown=True, description="x")
    assert draft.missing() == []


def test_edit_returns_to_review_after_the_part():
    draft = Draft()
    draft.choose_category("crime")
    walk(draft)
    assert draft.start_edit("place") is Step.COMMUNE
    assert draft.advance() is Step.REVIEW
    assert draft.start_edit("location") is Step.LOCATION
    assert draft.advance() is Step.REVIEW
    assert draft.start_edit("description") is Step.DESCRIPTION
    assert draft.advance() is Step.REVIEW


def test_changing_category_while_editing_asks_the_new_questions():
    draft = Draft(category="crime", kind="drugs", when="now", description="x", urgent=False)
    draft.step = Step.REVIEW
    draft.start_edit("category")
    draft.choose_category("fraud")
    assert draft.kind is None and draft.when is None
    assert draft.description == "x"  # kept
    steps = [draft.advance() for _ in range(6)]
    assert steps == ["kind", "channels", "phones", "accounts", "links", "loss"]
    assert draft.advance() is Step.REVIEW


def test_edit_of_unknown_part_is_refused():
    with pytest.raises(ValueError):
        Draft().start_edit("everything")


def test_description_overflow_is_kept_not_lost():
    draft = Draft()
    assert draft.add_description("a" * 2000)
    assert not draft.add_description("b" * 2000)
    assert draft.overflow == "b" * 2000
    assert draft.description == "a" * 2000
    draft.keep_overflow_start()
    assert len(draft.description) == MAX_DESCRIPTION
    assert draft.description.endswith("b") and draft.overflow is None


def test_kept_overflow_ends_at_a_word():
    draft = Draft(description="a" * 2990)
    assert not draft.add_description("mot hai ba bon nam")
    assert not draft.add_description("sau bay")  # a second part joins the waiting overflow
    assert draft.overflow == "mot hai ba bon nam\nsau bay"
    draft.keep_overflow_start()
    assert draft.description == "a" * 2990 + "\nmot hai"


def test_attachments_limited_and_deduplicated():
    draft = Draft()
    for n in range(MAX_ATTACHMENTS):
        assert draft.add_attachment(Attachment("photo", f"id{n}", f"u{n}"))
    assert draft.add_attachment(Attachment("photo", "again", "u0"))  # same file: fine, once
    assert not draft.add_attachment(Attachment("photo", "new", "new"))
    assert len(draft.attachments) == MAX_ATTACHMENTS


def test_missing_answers():
    draft = Draft()
    assert draft.missing() == ["category", "commune", "description", "urgent"]
    draft.choose_category("forest")
    assert Step.KIND in draft.missing()
    complete = Draft(category="other", commune_unknown=True, description="x", urgent=False)
    assert complete.missing() == []


def test_json_round_trip():
    draft = Draft(category="fraud", kind="tasks", channels=["zalo"], latitude=11.9)
    draft.attachments.append(Attachment("photo", "f", "u"))
    draft.step = Step.LOSS
    draft.edit_until = Step.LOSS
    assert Draft.from_json(draft.to_json()) == draft


def test_json_from_an_older_version_ignores_unknown_fields():
    assert Draft.from_json({"step": "kind", "category": "crime", "retired": 1}).step is Step.KIND


@pytest.mark.parametrize(
    ("text", "meaningful"),
    [("hello", True), ("123", True), ("😀😀", False), ("...", False), ("\u200b", False)],
)
def test_meaningful_text(text, meaningful):
    assert is_meaningful_text(text) is meaningful


def test_clean_text_removes_invisible_controls():
    assert clean_text("  a\u200bb\u202ec ") == "abc"


@given(st.lists(st.sampled_from(["crime", "forest", "fraud", "other"]), min_size=1, max_size=5))
def test_any_category_changes_still_reach_review(categories):
    draft = Draft()
    for category in categories:
        draft.choose_category(category)
    assert walk(draft)[-1] is Step.REVIEW


@pytest.mark.parametrize("step", [Step.LOCATION, Step.ATTACHMENTS, Step.URGENT])
def test_a_draft_saved_at_a_step_the_path_no_longer_has_goes_on(step):
    """Drafts saved by the older, longer path (location, attachments, urgency at the end)."""
    draft = Draft(category="crime", kind="drugs", when="today", commune_unknown=True, step=step)
    assert draft.advance() is Step.DESCRIPTION
    draft.description, draft.step = "x", step
    assert draft.advance() is Step.REVIEW
