"""Forest violations: the place matters most, so the question for the map pin says so."""

from bot.categories import Category
from bot.i18n import N_
from bot.steps import Step

CATEGORY = Category(
    key="forest",
    label=N_("🌲 Forest violation"),
    name=N_("Forest violation"),
    order=20,
    colour="#2e7d32",
    steps=(Step.KIND, Step.URGENT),
    kinds={
        "logging": N_("Illegal logging"),
        "encroachment": N_("Encroaching on forest land"),
        "burning": N_("Burning or forest fire"),
        "wildlife": N_("Hunting or trading wildlife"),
        "timber_transport": N_("Transporting illegal timber"),
        "other": N_("Something else"),
    },
    kind_question=N_("What is happening to the forest?"),
    location_prompt=N_(
        "For forest violations an exact location helps officers most. If you are at the "
        "place now, share your location — it shows where your phone is, so share it only "
        "if that is safe. Or tap <b>Skip</b>."
    ),
)
