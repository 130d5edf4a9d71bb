"""Debian's Chromium for the browser tests (Playwright cannot download its own browser here)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# No sandbox (root in CI); no background networking: the machine has no internet, and Chromium
# would otherwise keep trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.slow,  # Chromium runs in subprocesses
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="Debian's chromium is not installed (apt-get install -y chromium)",
    ),
]


async def launch(playwright, env: dict[str, str] | None = None):
    return await playwright.chromium.launch(
        executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS, env=env
    )


def without_emoji_font(directory: Path) -> dict[str, str]:
    """An environment whose fontconfig hides every colour emoji font: Chromium as on a fresh
    Debian without fonts-noto-color-emoji."""
    config = directory / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        "  <selectfont><rejectfont><glob>*Emoji*</glob><glob>*emoji*</glob></rejectfont>"
        "</selectfont>\n</fontconfig>\n"
    )
    return {**os.environ, "FONTCONFIG_FILE": str(config)}
