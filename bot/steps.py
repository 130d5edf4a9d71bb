"""The steps of a tip's questionnaire: a module of its own, so that the categories (bot/categories/)
can name their steps without importing the intake, which reads them."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    CATEGORY = "category"
    KIND = "kind"
    WHEN = "when"
    CHANNELS = "channels"
    PHONES = "phones"
    ACCOUNTS = "accounts"
    LINKS = "links"
    LOSS = "loss"
    COMMUNE = "commune"
    LOCATION = "location"
    DESCRIPTION = "description"
    ATTACHMENTS = "attachments"
    URGENT = "urgent"
    REVIEW = "review"
    CONTACT = "contact"  # optional, only from the review: sharing a phone number with officers
