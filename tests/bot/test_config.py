import os
import stat
import subprocess
import sys

import pytest

from bot.config import ConfigError, environment, file_url_for, load_config, load_keys
from bot.webhook import SECRET_FILE, webhook_secret, webhook_settings

TOKEN = "123456:AAbbCCddEEffGGhh_-ii"


def env(**overrides):
    values = {"TIPBOT_TOKEN": TOKEN}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def test_defaults(tmp_path):
    config = load_config(env(TIPBOT_DATA_DIR=str(tmp_path)))
    assert config.api_url == "https://api.telegram.org/bot"
    assert config.file_url == "https://api.telegram.org/file/bot"
    assert config.province == 68
    assert config.timezone.key == "Asia/Ho_Chi_Minh"
    assert config.default_language == "vi"
    assert config.db_path == tmp_path / "tipbot.sqlite3"
    assert config.admin_ids == frozenset()
    assert config.retention_days == 90


def test_token_not_in_repr():
    assert TOKEN not in repr(load_config(env()))


@pytest.mark.parametrize(
    ("api_url", "file_url"),
    [
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("https://proxy.example/tg/bot/", "https://proxy.example/tg/file/bot"),
    ],
)
def test_file_url_is_derived_from_api_url(api_url, file_url):
    assert file_url_for(api_url) == file_url
    assert load_config(env(TIPBOT_API_URL=api_url)).file_url == file_url


def test_admin_ids_parsed():
    assert load_config(env(TIPBOT_ADMIN_IDS=" 11, 22 ,,33")).admin_ids == {11, 22, 33}


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("TIPBOT_TOKEN", None, "TIPBOT_TOKEN: required"),
        ("TIPBOT_TOKEN", "not a token", "TIPBOT_TOKEN"),
        ("TIPBOT_API_URL", "ftp://x/bot", "TIPBOT_API_URL"),
        ("TIPBOT_API_URL", "http://127.0.0.1:8081", "TIPBOT_API_URL"),
        ("TIPBOT_ADMIN_IDS", "12,abc", "TIPBOT_ADMIN_IDS: 'abc'"),
        ("TIPBOT_ADMIN_IDS", "-5", "TIPBOT_ADMIN_IDS"),
        ("TIPBOT_PROVINCE", "999", "TIPBOT_PROVINCE"),
        ("TIPBOT_PROVINCE", "lam dong", "TIPBOT_PROVINCE"),
        ("TIPBOT_TIMEZONE", "Mars/Olympus", "TIPBOT_TIMEZONE"),
        ("TIPBOT_DEFAULT_LANGUAGE", "fr", "TIPBOT_DEFAULT_LANGUAGE"),
        ("TIPBOT_RETENTION_DAYS", "0", "TIPBOT_RETENTION_DAYS"),
        ("TIPBOT_LOG_LEVEL", "LOUD", "TIPBOT_LOG_LEVEL"),
    ],
)
def test_malformed_values_name_the_variable(name, value, fragment):
    with pytest.raises(ConfigError) as error:
        load_config(env(**{name: value}))
    message = str(error.value)
    assert fragment in message
    assert "\n" not in message


def test_keys_created_once_with_mode_0600(tmp_path):
    config = load_config(env(TIPBOT_DATA_DIR=str(tmp_path)))
    first = load_keys(config, {})
    second = load_keys(config, {})
    assert first == second
    assert len(first.pseudonym) == 32 and first.pseudonym != first.way_back
    for name in ("pseudonym.key", "way_back.key"):
        mode = stat.S_IMODE(os.stat(tmp_path / "keys" / name).st_mode)
        assert mode == 0o600
    assert first.pseudonym.hex() not in repr(first)


def test_keys_from_environment_and_malformed_key(tmp_path):
    config = load_config(env(TIPBOT_DATA_DIR=str(tmp_path)))
    from bot.anonymity import encode_key

    key = encode_key(bytes(range(32)))
    keys = load_keys(config, {"TIPBOT_PSEUDONYM_KEY": key})
    assert keys.pseudonym == bytes(range(32))
    with pytest.raises(ConfigError, match="TIPBOT_WAY_BACK_KEY"):
        load_keys(config, {"TIPBOT_WAY_BACK_KEY": "c2hvcnQ="})


def test_a_key_is_read_by_the_one_codec_of_bot_anonymity(tmp_path):
    config = load_config(env(TIPBOT_DATA_DIR=str(tmp_path)))
    from bot.anonymity import encode_key

    key = encode_key(bytes(range(32)))
    unpadded = {"TIPBOT_PSEUDONYM_KEY": key.rstrip("=")}
    assert load_keys(config, unpadded).pseudonym == bytes(range(32))
    with pytest.raises(ConfigError, match="TIPBOT_PSEUDONYM_KEY") as refused:
        load_keys(config, {"TIPBOT_PSEUDONYM_KEY": key[:10] + "!" + key[10:]})  # not skipped
    assert key[:10] not in str(refused.value)


def test_dotenv_is_read_and_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nTIPBOT_PROVINCE=68\nexport TIPBOT_TIMEZONE="Asia/Bangkok"\n')
    merged = environment({"TIPBOT_PROVINCE": "79"}, dotenv)
    assert merged["TIPBOT_PROVINCE"] == "79"
    assert merged["TIPBOT_TIMEZONE"] == "Asia/Bangkok"


@pytest.mark.slow  # `tipbot` in a subprocess
def test_cli_prints_one_line_and_exits_2(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TIPBOT_")}
    clean["TIPBOT_TOKEN"] = TOKEN
    clean["TIPBOT_ADMIN_IDS"] = "x1"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=clean,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "TIPBOT_ADMIN_IDS" in result.stderr
    assert "Traceback" not in result.stderr


# --- webhook mode ------------------------------------------------------------------------------


def test_the_secret_is_generated_once_and_kept(tmp_path):
    env = {"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(tmp_path)}
    config = load_config(env)
    secret = webhook_secret(config)
    assert len(secret) >= 32 and secret.replace("-", "").replace("_", "").isalnum()
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert webhook_secret(config) == secret  # the same after a restart
    given = load_config({**env, "TIPBOT_WEBHOOK_SECRET": "x" * 40})
    assert webhook_secret(given) == "x" * 40


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [("TIPBOT_WEBHOOK_SECRET", "short", "16 to 256"), ("TIPBOT_WEBHOOK_SECRET", "a b" * 9, "A-Z")],
)
def test_bad_webhook_secret(variable, value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_config({"TIPBOT_TOKEN": "1:abc", variable: value})


def test_webhook_url_must_be_https(tmp_path):
    config = load_config({"TIPBOT_TOKEN": "1:abc", "TIPBOT_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="https"):
        webhook_settings(config, "http://tipbot.example.vn/hook")
    assert webhook_settings(config, "https://x.vn/a/b", url_path="/local/").url_path == "local"
