"""The wheel installs anywhere: built from the sources alone (no compiled catalog among them),
installed into a fresh virtual environment, run from a directory outside the checkout, it finds
its catalogs, its bulletin library and its migrations, and it carries no demo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from bot.bulletin_library import load_library
from bot.cli import DEMO_NOT_INSTALLED

ROOT = Path(__file__).parents[2]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
PACKAGES = ("bot", "handlers", "storage", "locales", "sandbox")  # sandbox: to show it left out

INSTALLED_BOT = """
import asyncio, importlib, json, pkgutil
from pathlib import Path

import bot, handlers, storage
from bot.bulletin_library import load_library
from bot.i18n import texts
from storage.db import Database

async def fresh_database_version():
    db = await Database.open(Path("fresh.sqlite3"))
    try:
        return await db.user_version(), db.latest_version
    finally:
        await db.close()

modules = [
    info.name
    for package in (bot, handlers, storage)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
]
for name in modules:  # none needs the checkout (the sandbox, locales/ beside bot/)
    importlib.import_module(name)

print(json.dumps({
    "package": bot.__file__,
    "modules": len(modules),
    "crime": texts("vi").gettext("Crime"),
    "bulletins": len(load_library()),
    "database": asyncio.run(fresh_database_version()),
}))
"""


def run(*argv: str | Path, **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in argv], capture_output=True, text=True, timeout=300, **options
    )


def build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the sources, without the catalogs `make compile-messages` made."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, source / name)
    for name in PACKAGES:
        shutil.copytree(
            ROOT / name,
            source / name,
            ignore=shutil.ignore_patterns("*.mo", "__pycache__", "*.egg-info", "build"),
        )
    wheels = tmp_path / "wheels"
    built = run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "--quiet", "--wheel-dir", wheels, source,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("tipbot-*.whl")
    return wheel


def package_data() -> list[str]:
    """The files other than Python beside the code of the installed packages (migrations, static
    files): each must be declared as package data in pyproject.toml to reach the wheel."""
    return [
        path.relative_to(ROOT).as_posix()
        for package in ("bot", "handlers", "storage")
        for path in (ROOT / package).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert not [name for name in names if name.startswith("sandbox/")]
    assert "bot/demo.py" not in names  # the demo's personas
    assert "bot/locales/vi/LC_MESSAGES/tipbot.mo" in names
    assert "storage/migrations/0001_initial.sql" in names
    assert not [path for path in package_data() if path not in names]  # package-data forgotten

    # A fresh environment that borrows the dependencies from this one's site-packages (a .pth
    # line: the editable install's own .pth there is not read, so the checkout stays invisible).
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", "--without-pip", venv).returncode == 0
    python = venv / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(site.stdout.strip()) / "dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    installed = run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "--quiet", wheel,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "installed_bot.py").write_text(INSTALLED_BOT)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = run(python, "installed_bot.py", cwd=elsewhere, env=environment)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["package"]).is_relative_to(venv)  # the wheel's code, not the checkout's
    assert found["modules"] > 50  # every module of the wheel imported
    assert found["crime"] == "Tội phạm"
    assert found["bulletins"] == len(load_library()) > 0
    version, latest = found["database"]
    assert version == latest >= 5

    demo = run(venv / "bin" / "tipbot", "demo", cwd=elsewhere, env=environment)
    assert demo.returncode == 2
    assert demo.stderr.strip() == DEMO_NOT_INSTALLED
