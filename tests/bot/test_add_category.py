"""README's "How to add a category", followed once: a road-traffic category as one module in the
package's path, one migration inserting its key, and nothing else. It becomes a button, its tips
are stored, counted by /stats, drawn in the chart and labelled in the export; and the bot refuses
to start while the code and the database disagree."""

from __future__ import annotations

import csv
import io
import shutil
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from matplotlib.colors import to_rgba

from bot import categories, chart, export, stats
from bot.app import open_runtime
from bot.communes import CommuneDirectory
from bot.config import ConfigError, Keys, load_config
from bot.i18n import texts
from bot.intake import Draft, Step
from handlers.callbacks import IntakeAnswer, decode
from handlers.intake_views import prompt
from storage import tips
from storage.db import MIGRATIONS_DIR, Database, load_migrations

# The new file, as a contributor writes it under bot/categories/ (msgids in English; `make
# messages` and the Vietnamese catalog would follow, which this test does not need).
TRAFFIC = '''"""Road traffic violations: street racing, drunk driving, dangerous overloading."""

from bot.categories import Category
from bot.i18n import N_
from bot.steps import Step

CATEGORY = Category(
    key="traffic",
    label=N_("🚦 Traffic violation"),
    name=N_("Traffic violation"),
    order=40,
    colour="#1565c0",
    steps=(Step.KIND, Step.URGENT),
    kinds={
        "racing": N_("Street racing"),
        "drunk": N_("Drunk driving"),
        "other": N_("Something else"),
    },
    kind_question=N_("What is happening on the road?"),
)
'''
LATEST = len(load_migrations())
MIGRATION = (
    f"INSERT INTO categories (key) VALUES ('traffic');\nPRAGMA user_version = {LATEST + 1};\n"
)
CONFIG = {"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": "/nonexistent"}
JULY = stats.Period(date(2026, 7, 1), date(2026, 7, 31))
NO_COMMUNES = CommuneDirectory([], [])
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def traffic_module(tmp_path, monkeypatch):
    """bot/categories/traffic.py, written into a directory of the package's path (where pkgutil
    looks, as it looks in bot/categories/ itself) and the registry read again."""
    directory = tmp_path / "categories"
    directory.mkdir()
    (directory / "traffic.py").write_text(TRAFFIC, encoding="utf-8")
    monkeypatch.setattr(categories, "__path__", [*categories.__path__, str(directory)])
    categories.load()
    yield categories.get("traffic")
    monkeypatch.undo()
    sys.modules.pop("bot.categories.traffic", None)
    categories.load()


@pytest.fixture
def migrations_dir(tmp_path):
    """The real migrations and the new one that inserts the row."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    (directory / f"{LATEST + 1:04d}_traffic.sql").write_text(MIGRATION, encoding="utf-8")
    return directory


async def test_a_new_category_is_one_module_and_one_migration(
    tmp_path, traffic_module, migrations_dir
):
    assert list(categories.CATEGORIES) == ["crime", "forest", "fraud", "traffic", "other"]
    t = texts("en")

    # The intake: a button of the first step, then its own questions.
    draft = Draft()
    _text, markup = prompt(Step.CATEGORY, draft, t, NO_COMMUNES)
    buttons = {b.text: decode(b.callback_data) for row in markup.inline_keyboard for b in row}
    assert buttons["🚦 Traffic violation"] == IntakeAnswer("category", "traffic")
    draft.choose_category("traffic")
    assert draft.advance() is Step.KIND
    text, markup = prompt(Step.KIND, draft, t, NO_COMMUNES)
    assert text == "What is happening on the road?"
    assert markup.inline_keyboard[0][0].text == "Street racing"
    draft.kind = "racing"
    assert draft.advance() is Step.URGENT

    # Stored (the database knows the key) and counted.
    db = await Database.open(tmp_path / "db.sqlite3", migrations_dir=migrations_dir)
    try:
        sent = int(datetime(2026, 7, 10, 9, tzinfo=VN).timestamp())
        await tips.insert(
            db,
            tips.NewTip(
                code="T-TR01",
                receipt_hash="h",
                category="traffic",
                kind=draft.kind,
                description="Two motorbikes racing on Trần Phú every night",
                way_back=b"sealed",
            ),
            now=sent,
        )
        report = await stats.compute(db, load_config(CONFIG), JULY, sent + 86400)
        assert report.categories() == {"traffic": 1}
        text = stats.report_text(report, t, NO_COMMUNES, "Lâm Đồng")
        assert "• Traffic violation: 1" in text and "– Street racing: 1" in text

        # The chart's bars and legend.
        figure = chart._render(report, t, "Lâm Đồng", datetime(2026, 8, 1))
        tips_axes = figure.axes[0]
        legend = [label.get_text() for label in tips_axes.get_legend().get_texts()]
        assert "Traffic violation (1)" in legend
        colours = {bar.get_facecolor() for bar in tips_axes.patches if bar.get_height()}
        assert colours == {to_rgba("#1565c0")}

        # The export's type and kind.
        buffer = io.StringIO()
        assert await export.write_csv(db, buffer, JULY, t, NO_COMMUNES, VN) == 1
        (row,) = csv.DictReader(io.StringIO(buffer.getvalue()))
        assert (row["Type"], row["Kind"]) == ("Traffic violation", "Street racing")
    finally:
        await db.close()


async def test_the_bot_refuses_to_start_while_code_and_database_disagree(tmp_path, traffic_module):
    config = load_config({**CONFIG, "TIPBOT_DATA_DIR": str(tmp_path / "data")})
    keys = Keys(b"p" * 32, b"w" * 32)
    # The module without its migration.
    with pytest.raises(ConfigError, match="not in the database's categories table: traffic"):
        await open_runtime(config, keys)
    # A row without its module (a module removed, or a checkout older than the database).
    db = await Database.open(config.db_path)
    async with db.transaction():
        await db.execute("INSERT INTO categories (key) VALUES ('traffic')")
    await db.close()
    categories.__path__.pop()  # the fixture's directory leaves the package's path
    sys.modules.pop("bot.categories.traffic", None)
    categories.load()
    with pytest.raises(ConfigError, match="no module in bot/categories/ for: traffic"):
        await open_runtime(config, keys)
