"""Anything else: no kinds, just whether it is urgent. Last among the buttons."""

from bot.categories import Category
from bot.i18n import N_
from bot.steps import Step

CATEGORY = Category(
    key="other",
    label=N_("📝 Other"),
    name=N_("Other"),
    order=100,
    colour="#7f8c8d",
    steps=(Step.URGENT,),
)
