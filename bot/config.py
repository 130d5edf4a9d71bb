"""Configuration from the environment, validated once at start.

Every problem becomes one `ConfigError` line that names the variable, so an operator never reads a
traceback to find a typo. Values come from the process environment; a `.env` file in the working
directory fills in what the environment does not set.

The two secret keys (pseudonyms and the sealed way back to tipsters) never live in the database:
they come from the environment or from files in the data directory, created on first start with
mode 0600.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.anonymity import KEY_BYTES, decode_key, encode_key, generate_key

DEFAULT_API_URL = "https://api.telegram.org/bot"
LANGUAGES = ("vi", "en")

# "<digits>:<letters, digits, - and _>" — Telegram's token shape, loose enough for local sandboxes.
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")


class ConfigError(Exception):
    """A missing or malformed setting; the message is one line naming the variable."""


@dataclass(frozen=True)
class Config:
    token: str = field(repr=False)
    api_url: str
    file_url: str
    db_path: Path
    data_dir: Path
    admin_ids: frozenset[int]
    province: int
    timezone: ZoneInfo
    default_language: str
    retention_days: int
    max_tips_per_day: int
    log_level: str
    # Unacknowledged tips: a reminder to their officers, then escalation to the admins.
    urgent_remind_minutes: int = 15
    urgent_escalate_minutes: int = 30
    remind_hours: int = 24
    escalate_hours: int = 72
    # Telegram's overall sending limit for this bot: 30/s, up to 1000/s with paid broadcasts.
    max_messages_per_second: int = 30
    # Whole closed tips are deleted this many days after closing; None: kept.
    tip_retention_days: int | None = None
    backup_keep: int = 14  # daily backups kept in data_dir/backups
    # The webhook's secret_token; None: generated once into the data dir (bot/webhook.py).
    webhook_secret: str | None = field(default=None, repr=False)
    # Bulletins: messages per second a broadcast uses at most (what the bot's own replies and
    # tip alerts leave of max_messages_per_second, bot/send_budget.py), the nightly quiet hours
    # as minutes after local midnight (None: off), and the channel each bulletin is posted to.
    broadcast_rate: float = 29.0
    quiet_hours: tuple[int, int] | None = (21 * 60, 7 * 60)
    channel_id: int | str | None = None
    # The web door (bot/webdoor/): where it listens, (host, port), None: off; and its public
    # address, for the links tipbot prints.
    web_listen: tuple[str, int] | None = None
    web_public_url: str | None = None

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"


@dataclass(frozen=True)
class Keys:
    """Secrets that must stay outside the database; `repr` never shows them."""

    pseudonym: bytes = field(repr=False)
    way_back: bytes = field(repr=False)

    @property
    def receipt_salt(self) -> bytes:
        # Derived rather than stored: one key file fewer to back up, and still unknown to anyone
        # holding only a copy of the database.
        return hmac.new(self.pseudonym, b"tipbot receipt salt v1", hashlib.sha256).digest()


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments skipped; optional quotes removed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def environment(env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    """The process environment over the `.env` file (the environment wins)."""
    merged = read_dotenv(dotenv if dotenv is not None else Path(".env"))
    merged.update(os.environ if env is None else env)
    return merged


def file_url_for(api_url: str) -> str:
    """`http://host:8081/bot` -> `http://host:8081/file/bot`: `/file` before the last segment."""
    head, _, last = api_url.rstrip("/").rpartition("/")
    return f"{head}/file/{last}"


def load_config(env: Mapping[str, str]) -> Config:
    token = _required(env, "TIPBOT_TOKEN")
    if not _TOKEN_RE.match(token):
        raise ConfigError(
            "TIPBOT_TOKEN: does not look like a bot token from BotFather (digits:letters)"
        )

    api_url = env.get("TIPBOT_API_URL", "").strip() or DEFAULT_API_URL
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.path.strip("/"):
        raise ConfigError(
            f"TIPBOT_API_URL: {api_url!r} is not a Bot API base URL like {DEFAULT_API_URL}"
        )

    data_dir = Path(env.get("TIPBOT_DATA_DIR", "").strip() or "data").expanduser()
    db_path = _db_path(
        Path(env.get("TIPBOT_DB", "").strip() or data_dir / "tipbot.sqlite3").expanduser()
    )

    max_rate = _positive_int(env, "TIPBOT_MAX_MESSAGES_PER_SECOND", 30)
    return Config(
        token=token,
        api_url=api_url,
        file_url=file_url_for(api_url),
        db_path=db_path,
        data_dir=data_dir,
        admin_ids=_admin_ids(env.get("TIPBOT_ADMIN_IDS", "")),
        province=_province(env.get("TIPBOT_PROVINCE", "").strip() or "68"),
        timezone=_timezone(env.get("TIPBOT_TIMEZONE", "").strip() or "Asia/Ho_Chi_Minh"),
        default_language=_language(env.get("TIPBOT_DEFAULT_LANGUAGE", "").strip() or "vi"),
        retention_days=_positive_int(env, "TIPBOT_RETENTION_DAYS", 90),
        max_tips_per_day=_positive_int(env, "TIPBOT_MAX_TIPS_PER_DAY", 10),
        max_messages_per_second=max_rate,
        log_level=_log_level(env.get("TIPBOT_LOG_LEVEL", "").strip() or "INFO"),
        urgent_remind_minutes=_positive_int(env, "TIPBOT_URGENT_REMIND_MINUTES", 15),
        urgent_escalate_minutes=_positive_int(env, "TIPBOT_URGENT_ESCALATE_MINUTES", 30),
        remind_hours=_positive_int(env, "TIPBOT_REMIND_HOURS", 24),
        escalate_hours=_positive_int(env, "TIPBOT_ESCALATE_HOURS", 72),
        tip_retention_days=_optional_positive_int(env, "TIPBOT_TIP_RETENTION_DAYS"),
        backup_keep=_positive_int(env, "TIPBOT_BACKUP_KEEP", 14),
        webhook_secret=_webhook_secret(env.get("TIPBOT_WEBHOOK_SECRET", "").strip()),
        broadcast_rate=_broadcast_rate(env.get("TIPBOT_BROADCAST_RATE", "").strip(), max_rate),
        quiet_hours=_quiet_hours(env.get("TIPBOT_QUIET_HOURS", "").strip() or "21-7"),
        channel_id=_channel_id(env.get("TIPBOT_CHANNEL_ID", "").strip()),
        web_listen=_web_listen(env.get("TIPBOT_WEB_LISTEN", "").strip()),
        web_public_url=_web_public_url(env.get("TIPBOT_WEB_PUBLIC_URL", "").strip()),
    )


def load_keys(config: Config, env: Mapping[str, str]) -> Keys:
    """Keys from TIPBOT_PSEUDONYM_KEY / TIPBOT_WAY_BACK_KEY, else from files in the data dir."""
    keys = Keys(
        pseudonym=_key(env, "TIPBOT_PSEUDONYM_KEY", config.keys_dir / "pseudonym.key"),
        way_back=_key(env, "TIPBOT_WAY_BACK_KEY", config.keys_dir / "way_back.key"),
    )
    if hmac.compare_digest(keys.pseudonym, keys.way_back):
        # One key for both would let whoever holds the pseudonym key open every way back.
        raise ConfigError("TIPBOT_WAY_BACK_KEY: must differ from TIPBOT_PSEUDONYM_KEY")
    return keys


def _decode_key(text: str, source: str) -> bytes:
    try:
        return decode_key(text)
    except ValueError:  # the text itself is never echoed
        raise ConfigError(f"{source}: not a key ({KEY_BYTES} bytes in URL-safe base64)") from None


def _key(env: Mapping[str, str], name: str, path: Path) -> bytes:
    if text := env.get(name, "").strip():
        return _decode_key(text, name)
    try:
        if path.exists():
            return _decode_key(path.read_text(encoding="ascii"), str(path))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = generate_key()
        # O_EXCL: two processes starting at once must not overwrite each other's fresh key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(encode_key(key) + "\n")
        return key
    except FileExistsError:
        return _decode_key(path.read_text(encoding="ascii"), str(path))
    except OSError as error:
        raise ConfigError(f"{name}: cannot read or create {path}: {error.strerror}") from None


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name}: required but not set")
    return value


# Plain ASCII digits only: str.isdigit() and int() also take "²", "١٢٣" and full-width digits.
_DIGITS = re.compile(r"[0-9]{1,18}", re.ASCII)
MAX_TELEGRAM_ID = 2**53 - 1  # Telegram's ids have at most 52 significant bits
MAX_SETTING = 1_000_000  # any count, rate or duration setting; beyond it is a typo
_SQLITE_HEADER = b"SQLite format 3\x00"


def _db_path(path: Path) -> Path:
    """The database file: absent or empty (a new database), or an SQLite file."""
    if path.is_dir():
        raise ConfigError(f"TIPBOT_DB: {path} is a directory, not a database file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return path
    except OSError as error:
        raise ConfigError(f"TIPBOT_DB: cannot read {path}: {error.strerror}") from None
    if header and header != _SQLITE_HEADER:
        raise ConfigError(f"TIPBOT_DB: {path} is not an SQLite database")
    return path


def _admin_ids(text: str) -> frozenset[int]:
    ids = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if not _DIGITS.fullmatch(part) or not 0 < int(part) <= MAX_TELEGRAM_ID:
            raise ConfigError(
                f"TIPBOT_ADMIN_IDS: {part!r} is not a Telegram user id "
                "(expected numbers separated by commas)"
            )
        ids.add(int(part))
    return frozenset(ids)


def _province(text: str) -> int:
    from vietnam_provinces import Province, ProvinceCode

    try:
        if not _DIGITS.fullmatch(text):
            raise ValueError(text)
        Province.from_code(ProvinceCode(int(text)))
    except ValueError:
        raise ConfigError(
            f"TIPBOT_PROVINCE: {text!r} is not an official province code (Lâm Đồng is 68)"
        ) from None
    return int(text)


def _timezone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"TIPBOT_TIMEZONE: {text!r} is not a time zone like Asia/Ho_Chi_Minh"
        ) from None


def _language(text: str) -> str:
    if text not in LANGUAGES:
        raise ConfigError(f"TIPBOT_DEFAULT_LANGUAGE: {text!r} is not one of {', '.join(LANGUAGES)}")
    return text


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not _DIGITS.fullmatch(text) or not 0 < int(text) <= MAX_SETTING:
        raise ConfigError(
            f"{name}: {text!r} is not a positive whole number "
            f"(in digits 0-9, at most {MAX_SETTING})"
        )
    return int(text)


def _optional_positive_int(env: Mapping[str, str], name: str) -> int | None:
    if not env.get(name, "").strip():
        return None
    return _positive_int(env, name, 0)


def _webhook_secret(text: str) -> str | None:
    # Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
    if text and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", text):
        raise ConfigError(
            "TIPBOT_WEBHOOK_SECRET: use 16 to 256 characters from A-Z, a-z, 0-9, _ and -"
        )
    return text or None


def _broadcast_rate(text: str, overall: int) -> float:
    """By default one message a second below the overall limit: Telegram's limit is not exact,
    and a margin keeps a broadcast clear of it."""
    if not text:
        return float(max(1, overall - 1))
    try:
        rate = float(text)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= overall:
        raise ConfigError(
            f"TIPBOT_BROADCAST_RATE: {text!r} is not a number of messages per second above 0 "
            f"and at most TIPBOT_MAX_MESSAGES_PER_SECOND ({overall})"
        )
    return rate


def _quiet_hours(text: str) -> tuple[int, int] | None:
    from bot.quiet_hours import parse_quiet_hours

    try:
        return parse_quiet_hours(text)
    except ValueError as error:
        raise ConfigError(f"TIPBOT_QUIET_HOURS: {text!r}: {error}") from None


def _channel_id(text: str) -> int | str | None:
    if not text:
        return None
    if re.fullmatch(r"-[0-9]{1,20}", text):
        return int(text)
    if re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{4,31}", text):
        return text
    raise ConfigError(
        f"TIPBOT_CHANNEL_ID: {text!r} is not a channel: give its @username or its id "
        "(a negative number like -1001234567890)"
    )


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"TIPBOT_LOG_LEVEL: {text!r} is not DEBUG, INFO, WARNING or ERROR")
    return level


def _web_listen(text: str) -> tuple[str, int] | None:
    """`127.0.0.1:8090`, `[::1]:8090` or `0.0.0.0:8090` (port 0: any free port); empty: the web
    door is off."""
    if not text:
        return None
    host, _, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if (
        not host
        or not port.isdigit()
        or not 0 <= int(port) < 65536
        or not re.fullmatch(r"[A-Za-z0-9.:-]+", host)
    ):
        raise ConfigError(
            f"TIPBOT_WEB_LISTEN: {text!r} is not an address and port like 127.0.0.1:8090"
        )
    return host, int(port)


def _web_public_url(text: str) -> str | None:
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"TIPBOT_WEB_PUBLIC_URL: {text!r} is not an address like https://tin.example.vn/"
        )
    return text.rstrip("/") + "/"
