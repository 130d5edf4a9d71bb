"""The operators' subcommands of `tipbot`: stats, export, backup, restore, check.

Each prints what it did in a line or a few, errors as one `tipbot: <command>: …` line on stderr;
exit status 0 on success, 1 when the command could not do it, 2 for a configuration error (as
every tipbot command).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.config import ConfigError, environment, load_config
from bot.logging_setup import configure_logging, secrets_of_token

COMMANDS = ("stats", "export", "backup", "restore", "check")


def add_commands(commands) -> None:
    for name, helptext in (
        ("stats", "statistics of a period (this month by default), and optionally the chart"),
        ("export", "a CSV of the tips of a period (UTF-8 with BOM, for Excel)"),
    ):
        parser = commands.add_parser(name, help=helptext)
        parser.add_argument("--from", dest="first", help="first day: 2026-01-01 or 01/01/2026")
        parser.add_argument("--to", dest="last", help="last day (default: today)")
        parser.add_argument("--language", choices=("vi", "en"), help="default: the bot's")
        if name == "stats":
            parser.add_argument("--png", type=Path, help="also write the chart to this file")
        else:
            parser.add_argument("--out", type=Path, help="the CSV file (default: a dated name)")
    commands.add_parser(
        "backup", help="a consistent copy of the database into TIPBOT_DATA_DIR/backups"
    )
    restore = commands.add_parser(
        "restore", help="replace the database with a backup (the bot must be stopped)"
    )
    restore.add_argument("file", type=Path)
    check = commands.add_parser(
        "check", help="configuration, database, keys and Bot API: one line each"
    )
    check.add_argument(
        "--running", action="store_true", help="also fail unless the bot is running (health check)"
    )


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        return _check(args.running)
    env = environment()
    config = load_config(env)
    configure_logging(
        "DEBUG" if config.log_level == "DEBUG" else "WARNING", secrets_of_token(config.token)
    )
    try:
        if args.command in ("stats", "export"):
            return asyncio.run(_report(args, config))
        if args.command == "backup":
            return _backup(config)
        if args.command == "restore":
            return _restore(config, env, args.file)
    except CommandFailed as error:
        print(f"tipbot: {args.command}: {error}", file=sys.stderr)
        return 1
    raise ValueError(args.command)


class CommandFailed(Exception):
    pass


async def _report(args: argparse.Namespace, config) -> int:
    import time

    from bot import stats
    from bot.communes import CommuneDirectory
    from bot.i18n import texts
    from storage.db import Database

    now = int(time.time())
    today = stats.today_in(config.timezone, now)
    t = texts(args.language or config.default_language)
    if args.last and not args.first:
        raise CommandFailed("--to needs --from")
    words = [args.first, args.last or today.isoformat()] if args.first else []
    try:
        period = stats.parse_period(words, today)
    except stats.PeriodError as error:
        raise CommandFailed(t.gettext(str(error))) from None
    if not config.db_path.exists():
        raise CommandFailed(f"no database at {config.db_path}")
    db = await Database.open(config.db_path)
    try:
        communes = await CommuneDirectory.load(db, config.province)
        if args.command == "stats":
            await _stats(db, config, period, now, t, communes, args.png)
        else:
            await _export(db, config, period, t, communes, args.out)
    finally:
        await db.close()
    return 0


async def _stats(db, config, period, now, t, communes, png: Path | None) -> None:
    from bot import stats
    from bot.app import province_display_name

    report = await stats.compute(db, config, period, now)
    province = province_display_name(config.province)
    print(stats.plain(stats.report_text(report, t, communes, province, all_communes=True)))
    if png is not None:
        from bot.chart import render_chart

        data = render_chart(report, t, province, datetime.now(config.timezone))
        await asyncio.to_thread(png.write_bytes, data)
        print(f"\nChart: {png} ({len(data)} bytes)")


async def _export(db, config, period, t, communes, out: Path | None) -> None:
    from bot import export

    path = out or Path(export.file_name(period))
    with export.open_csv(path) as handle:
        count = await export.write_csv(db, handle, period, t, communes, config.timezone)
    print(f"{count} tips written to {path}")


def _backup(config) -> int:
    from bot.backup import BackupError, make_backup

    try:
        made = make_backup(config)
    except BackupError as error:
        raise CommandFailed(str(error)) from None
    print(f"{made.path} ({made.size} bytes)")
    for old in made.removed:
        print(f"removed {old.name} (keeping the newest {config.backup_keep})")
    return 0


def _restore(config, env, file: Path) -> int:
    from bot.backup import BackupError, restore
    from bot.config import load_keys

    try:
        restored = restore(config, file, load_keys(config, env))
    except BackupError as error:
        raise CommandFailed(str(error)) from None
    verified = restored.verified
    print(
        f"Restored {file} into {config.db_path}: database version {verified.version}, "
        f"{verified.tips} tips."
    )
    if restored.kept_aside is not None:
        print(f"The database it replaced is kept as {restored.kept_aside}.")
    if verified.keys_match is False:
        print(
            "Warning: the way-back key in use does not open this backup's ways back to tipsters; "
            "restore the keys of the installation the backup came from (see README, Backups).",
            file=sys.stderr,
        )
    return 0


def _check(require_running: bool) -> int:
    from bot.health import run_checks

    try:
        env = environment()
    except ConfigError as error:
        print(f"FAIL configuration: {error}")
        return 1
    configure_logging("WARNING", secrets_of_token(env.get("TIPBOT_TOKEN", "")))
    checks = asyncio.run(run_checks(env, require_running=require_running))
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1
