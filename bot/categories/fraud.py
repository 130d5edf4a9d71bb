"""Online fraud: the scam details (optional, skipped in one tap) become indicators that /check
searches and officers confirm when they resolve the tip. No location: the scammer is not where
the victim is, and a pin would only point at the resident. Urgency is optional ("not urgent")."""

from bot.categories import Category
from bot.i18n import N_
from bot.steps import Step

CATEGORY = Category(
    key="fraud",
    label=N_("💸 Online fraud"),
    name=N_("Online fraud"),
    order=30,
    colour="#e67e22",
    steps=(Step.KIND, Step.CHANNELS, Step.PHONES, Step.ACCOUNTS, Step.LINKS, Step.LOSS),
    kinds={
        "impersonation": N_("Pretending to be police or officials"),
        "investment": N_("Fake investment or crypto"),
        "tasks": N_("Task scams, “easy job, high pay”"),
        "prizes": N_("Fake prizes or parcels"),
        "loan_apps": N_("Loan apps"),
        "hacked_account": N_("Hacked account asking to borrow money"),
        "other": N_("Something else"),
    },
    kind_question=N_("What kind of scam was it?"),
    asks_location=False,
    urgency_required=False,
    confirms_indicators=True,
)
