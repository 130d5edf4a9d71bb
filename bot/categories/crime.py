"""Crime: "when" comes first and also answers urgency ("happening now": call 113 at once)."""

from bot.categories import Category
from bot.i18n import N_
from bot.steps import Step

CATEGORY = Category(
    key="crime",
    label=N_("🚨 Crime"),
    name=N_("Crime"),
    order=10,
    colour="#c0392b",
    steps=(Step.KIND, Step.WHEN),
    kinds={
        "theft": N_("Theft or robbery"),
        "drugs": N_("Drugs"),
        "gambling": N_("Gambling"),
        "violence": N_("Violence or threats"),
        "trafficking": N_("Luring people abroad, human trafficking"),
        "other": N_("Something else"),
    },
    kind_question=N_("What kind of crime is it?"),
)
