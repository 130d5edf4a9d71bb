"""Malformed settings that used to end in a traceback: each is one line naming the variable, and
`tipbot run` exits with status 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import ConfigError, encode_key, load_config, load_keys
from tests.bot.test_config import TOKEN, env


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIPBOT_ADMIN_IDS", "9223372036854775808"),  # beyond SQLite's integers
        ("TIPBOT_ADMIN_IDS", "12,١٢٣"),  # Arabic-Indic digits
        ("TIPBOT_ADMIN_IDS", "１２３"),  # full-width digits
        ("TIPBOT_ADMIN_IDS", "²"),
        ("TIPBOT_RETENTION_DAYS", "²"),
        ("TIPBOT_RETENTION_DAYS", "99999999999999999999"),
        ("TIPBOT_MAX_TIPS_PER_DAY", "٣"),
        ("TIPBOT_PROVINCE", "٦٨"),
    ],
)
def test_numbers_are_plain_ascii_digits_within_range(name, value):
    with pytest.raises(ConfigError) as error:
        load_config(env(**{name: value}))
    assert str(error.value).startswith(f"{name}: ") and "\n" not in str(error.value)


def test_the_database_must_be_a_file_sqlite_can_open(tmp_path):
    with pytest.raises(ConfigError, match=r"^TIPBOT_DB: .* is a directory"):
        load_config(env(TIPBOT_DB=str(tmp_path)))
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database at all, but long enough to have a header")
    with pytest.raises(ConfigError, match=r"^TIPBOT_DB: .* is not an SQLite database"):
        load_config(env(TIPBOT_DB=str(junk)))
    empty = tmp_path / "new.sqlite3"
    empty.touch()  # an empty file becomes a new database
    assert load_config(env(TIPBOT_DB=str(empty))).db_path == empty


def test_the_two_keys_must_differ(tmp_path):
    config = load_config(env(TIPBOT_DATA_DIR=str(tmp_path)))
    key = encode_key(bytes(range(32)))
    with pytest.raises(ConfigError, match=r"^TIPBOT_WAY_BACK_KEY: .*TIPBOT_PSEUDONYM_KEY"):
        load_keys(config, {"TIPBOT_PSEUDONYM_KEY": key, "TIPBOT_WAY_BACK_KEY": key})


@pytest.mark.slow  # `tipbot` in a subprocess
@pytest.mark.parametrize("case", ["overflow", "directory", "junk", "same_key"])
def test_the_command_line_exits_2_with_one_line(tmp_path, case):
    settings = {"TIPBOT_TOKEN": TOKEN, "TIPBOT_DATA_DIR": str(tmp_path / "data")}
    key = encode_key(bytes(range(32)))
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    settings |= {
        "overflow": {"TIPBOT_ADMIN_IDS": "9223372036854775808"},
        "directory": {"TIPBOT_DB": str(tmp_path)},
        "junk": {"TIPBOT_DB": str(junk)},
        "same_key": {"TIPBOT_PSEUDONYM_KEY": key, "TIPBOT_WAY_BACK_KEY": key},
    }[case]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TIPBOT_")} | settings
    clean["TIPBOT_API_URL"] = "http://127.0.0.1:9/bot"  # nothing listens: never Telegram
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=clean,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
