"""Debian's Chromium for the browser tests (Playwright cannot download its own browser here)."""

from __future__ import annotations

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
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="Debian's chromium is not installed (apt-get install -y chromium)",
    ),
]


async def launch(playwright):
    return await playwright.chromium.launch(
        executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
    )
