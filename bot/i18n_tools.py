"""`python -m bot.i18n_tools extract|update|compile`: the gettext catalog workflow (make messages).

A thin wrapper around babel's own command line, so the catalogs are handled the same way on every
machine without a separate `pybabel` on the PATH.
"""

from __future__ import annotations

import sys

from babel.messages.frontend import CommandLineInterface

from bot.i18n import DOMAIN, LANGUAGES, LOCALES_DIR

TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
KEYWORDS = ["-k", "_", "-k", "N_", "-k", "ngettext:1,2"]


def _babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *args])


def extract() -> None:
    _babel(
        # Sorted by message, no source locations: a catalog changes only where a text does, so
        # two branches that add strings merge without conflicts over line numbers.
        "extract", "-F", "babel.cfg", "--no-wrap", "--sort-output", "--no-location",
        "--omit-header", "--project", "tipbot", *KEYWORDS, "-o", str(TEMPLATE), ".",
    )  # fmt: skip


# The header's date stays put unless a text changed: fewer needless diffs.
UPDATE_OPTIONS = ["--no-wrap", "--ignore-obsolete", "--ignore-pot-creation-date"]


def update() -> None:
    for language in LANGUAGES:
        po = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        action = "update" if po.exists() else "init"
        _babel(
            action, "-D", DOMAIN, "-i", str(TEMPLATE), "-d", str(LOCALES_DIR), "-l", language,
            *(UPDATE_OPTIONS if action == "update" else ["--no-wrap"]),
        )  # fmt: skip


def compile_catalogs() -> None:
    # Fuzzy entries are left out (babel's default); tests/bot/test_i18n.py fails on them for vi.
    _babel("compile", "-D", DOMAIN, "-d", str(LOCALES_DIR))


COMMANDS = {"extract": extract, "update": update, "compile": compile_catalogs}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python -m bot.i18n_tools {{{','.join(COMMANDS)}}}")
    COMMANDS[sys.argv[1]]()
