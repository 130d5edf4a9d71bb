"""The province admins' desk, end to end: /stats with its chart and period buttons, /export as a
CSV document, /ban and /unban by tip code without learning who the sender is, retention."""

from __future__ import annotations

import calendar
import csv
import io
import struct
from datetime import datetime, timedelta

import pytest

from bot.chart import SIZE
from storage import audit, tips
from storage.db import Database
from tests.bot.test_chart import pdf_pages
from tests.e2e.driver import Person, text_of
from tests.e2e.test_intake import WHAT_TO_REPORT
from tests.e2e.test_officers import XUAN_HUONG, register, send_tip, wait_for_answer
from tests.storage.test_tips import fraud_tip
from tests.support.catalog import vi
from tests.support.clock import Clock

ADMINS_ONLY = vi("Sorry, only the province admins can do this.")
BANNED = vi(
    "Sorry, this bot can no longer accept tips from you. If you need the police, call 113 or go "
    "to your commune police station."
)


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_ADMIN_IDS": str(admin_user.id)}


def end_of_this_month(tz) -> datetime:
    """The bot's "now" in the statistics tests: 22:00 on the last day of this month (a clock
    ticking from there). So "this month" holds both the seeded tips (days before) and a tip sent
    now, whatever today's date is."""
    today = datetime.now(tz)
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=last, hour=22, minute=0, second=0, microsecond=0)


async def seed(bot, now: datetime, officer: int) -> dict[str, str]:
    """Tips of this month and last month, straight into the database (the resident's flow has
    its own tests): acknowledged in 10 minutes, in 2 hours, never; a question and its answer."""
    db = await Database.open(bot.config.db_path)
    codes = {}
    try:
        last_month = (now.replace(day=1) - timedelta(days=3)).replace(hour=9)
        plan = [
            ("urgent", now - timedelta(days=5), True, 600, "crime", "drugs"),
            ("normal", now - timedelta(days=4), False, 7200, "fraud", "investment"),
            ("waiting", now - timedelta(days=3), False, None, "forest", "logging"),
            ("old1", last_month, False, 3600, "fraud", "prizes"),
            ("old2", last_month + timedelta(hours=1), False, 3600, "other", None),
        ]
        for n, (name, created, urgent, ack_after, category, kind) in enumerate(plan):
            stamp = int(created.timestamp())
            tip = await tips.insert(
                db,
                fraud_tip(
                    code=f"T-SEED{n:02d}",
                    receipt_hash=f"seed{n}",
                    category=category,
                    kind=kind,
                    urgent=urgent,
                    commune_code=XUAN_HUONG,
                    description='=HYPERLINK("http://evil.example")' if n == 1 else "Có việc",
                ),
                now=stamp,
            )
            codes[name] = tip.code
            if ack_after is not None:
                await tips.acknowledge(db, tip.id, officer_id=officer, now=stamp + ack_after)
            else:  # the deadlines job must leave it alone during the test
                await tips.mark_reminded(db, tip.id, now=stamp)
                await tips.mark_escalated(db, tip.id, now=stamp)
                await audit.append(db, "tip.escalate", actor_id=None, tip_id=tip.id, now=stamp + 1)
            if name == "normal":
                await tips.add_message(
                    db, tip.id, "question", "?", officer_id=officer, now=stamp + 9000
                )
                await tips.add_message(db, tip.id, "answer", "!", now=stamp + 9600)
    finally:
        await db.close()
    return codes


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def wait_for_photo(sandbox, chat_id: int, caption: str, since: int) -> bytes:
    message = await sandbox.wait_for_message(
        chat_id, timeout=30, since=since,
        predicate=lambda m: "photo" in m and caption in (m.get("caption") or ""),
    )  # fmt: skip
    return sandbox.file_bytes(message["photo"][-1]["file_id"])


async def wait_for_document(sandbox, chat_id: int, suffix: str, since: int) -> bytes:
    message = await sandbox.wait_for_message(
        chat_id, timeout=30, since=since,
        predicate=lambda m: m.get("document", {}).get("file_name", "").endswith(suffix),
    )  # fmt: skip
    return sandbox.file_bytes(message["document"]["file_id"])


async def test_stats_with_chart_and_periods(sandbox, bot, admin_user):
    start = end_of_this_month(bot.config.timezone)
    bot.clock = bot.runtime.clock = Clock(start.timestamp(), ticking=True)
    codes = await seed(bot, start, admin_user.id)
    admin = Person(sandbox, admin_user, timeout=30)
    await admin.send("/start", expect="ẩn danh")

    since = sandbox.version
    report = await admin.send("/stats", expect="Tin báo tại Lâm Đồng")
    text = text_of(report)
    assert "(tháng này)" in text
    assert vi("<b>{tips} tips</b>, {urgent} of them urgent", tips=3, urgent=1) in text
    assert "Tội phạm: 1" in text and "Ma túy: 1" in text and "Lừa đảo qua mạng: 1" in text
    assert "Mới 1 · Đã tiếp nhận 2" in text
    assert "1. Phường Xuân Hương - Đà Lạt: 3" in text
    assert "trung vị" in text and "Đúng hạn: 67% (2/3)" in text  # the waiting one is late
    not_acknowledged = "Not acknowledged yet: {count}, {overdue} of them past the target"
    assert vi(not_acknowledged, count=1, overdue=1) in text
    assert vi("Escalated to the province: {count}", count=1) in text
    answered = "Asked: {asked} · answered by the tipster: {answered} ({share})"
    assert vi(answered, asked=1, answered=1, share="100%") in text
    png = await wait_for_photo(sandbox, admin_user.id, "tháng này", since)
    assert png_size(png) == SIZE
    # Besides the preview photo, the page at full size: a PNG and a one-page A4 PDF, as files.
    full = await wait_for_document(sandbox, admin_user.id, ".png", since)
    assert png_size(full) == SIZE == (1754, 1240)
    pdf = await wait_for_document(sandbox, admin_user.id, ".pdf", since)
    assert pdf_pages(pdf) == [[0, 0, 842, 595]]  # one page, A4 landscape in points

    since = sandbox.version
    earlier = await admin.tap("Tháng trước", expect="(tháng trước)")
    assert "2 tin báo, trong đó 0 tin khẩn cấp" in text_of(earlier)
    assert earlier["message_id"] == report["message_id"]  # the same message, edited
    assert png_size(await wait_for_photo(sandbox, admin_user.id, "tháng trước", since)) == SIZE

    # Typed periods, and a mistake.
    typed = await admin.send("/stats 2000-01-01 2000-01-31", expect="Tin báo tại")
    assert "Không có tin báo nào trong kỳ này." in text_of(typed)
    assert "Ghi ngày dạng" in text_of(await admin.send("/stats 2026-13-45", expect="Ghi ngày"))

    with bot.db() as conn:
        viewed = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'stats.view'")
        assert viewed.fetchone()[0] == 3
    assert codes and not sandbox.errors


async def test_export_is_a_csv_without_the_tipster(sandbox, bot, admin_user):
    start = end_of_this_month(bot.config.timezone)
    bot.clock = bot.runtime.clock = Clock(start.timestamp(), ticking=True)
    codes = await seed(bot, start, admin_user.id)
    lan_user = sandbox.add_user("Lan", last_name="Trịnh", username="lan_tipster")
    real = await send_tip(Person(sandbox, lan_user, timeout=15))  # this month, a real way back
    admin = Person(sandbox, admin_user, timeout=30)
    await admin.send("/start", expect="ẩn danh")

    sent = await admin.send("/export", expect="tin báo gửi trong")
    data = sandbox.file_bytes(sent["document"]["file_id"])
    assert sent["document"]["file_name"].startswith("tipbot-tips-")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark: Excel reads Vietnamese
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    by_code = {row["Mã tin báo"]: row for row in rows}
    assert set(by_code) == {codes["urgent"], codes["normal"], codes["waiting"], real}
    urgent = by_code[codes["urgent"]]
    assert urgent["Khẩn cấp"] == "Có" and urgent["Số phút đến khi tiếp nhận"] == "10"
    assert urgent["Mã xã, phường"] == str(XUAN_HUONG)
    assert urgent["Xã, phường"] == "Phường Xuân Hương - Đà Lạt"
    assert urgent["Loại việc"] == "Tội phạm" and urgent["Loại cụ thể"] == "Ma túy"
    normal = by_code[codes["normal"]]
    assert normal["Nội dung sự việc"].startswith("'=HYPERLINK")  # not a formula in Excel
    assert (
        normal["Số câu hỏi gửi người báo tin"] == "1"
        and normal["Số câu trả lời của người báo tin"] == "1"
    )
    assert "phone:+84912345678" in normal["Số, tài khoản, link (đã chuẩn hóa)"]
    assert by_code[codes["waiting"]]["Đã chuyển lên tỉnh"] == "Có"
    assert "<Karaoke> & bida" in by_code[real]["Nội dung sự việc"]
    # Nothing that identifies the tipster: no id, name, username, pseudonym or sealed way back.
    text = data.decode("utf-8-sig")
    pseudonym = bot.runtime.pseudonym_of(lan_user.id)
    for needle in (str(lan_user.id), "lan_tipster", "Trịnh", pseudonym, pseudonym[:16]):
        assert needle not in text

    # The button under /stats exports the same days; an empty period sends no file.
    await admin.send("/stats", expect="Tin báo tại")
    again = await admin.tap("📥 Xuất CSV kỳ này", expect="tin báo gửi trong")
    assert "document" in again
    assert "không có gì để xuất" in text_of(await admin.send("/export 1999", expect="không có gì"))
    with bot.db() as conn:
        exports = conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'tips.export' ORDER BY id"
        ).fetchall()
    assert len(exports) == 3 and '"tips": 4' in exports[0][0]
    assert not sandbox.errors


async def test_only_admins(sandbox, bot):
    minh_user = sandbox.add_user("Minh")
    await register(bot, minh_user, XUAN_HUONG)  # an officer is not an admin
    minh = Person(sandbox, minh_user, timeout=15)
    for command in ("/stats", "/export", "/ban T-AAAAAA spam", "/unban"):
        assert ADMINS_ONLY in text_of(await minh.send(command, expect=ADMINS_ONLY))
    last = minh.last_bot_message()["message_id"]
    query_id = await sandbox.press_callback(minh_user, last, "adm:x:2026-01-01:2026-01-31")
    assert ADMINS_ONLY in (await wait_for_answer(sandbox, query_id)).text
    assert not [m for m in sandbox.history(minh_user.id) if "document" in m]
    with bot.db() as conn:
        denied = {r[0] for r in conn.execute("SELECT action FROM audit_log")}
    assert {"denied.stats.view", "denied.tips.export", "denied.resident.ban"} <= denied


async def test_ban_and_unban_without_learning_who(sandbox, bot, admin_user):
    lan_user = sandbox.add_user("Lan", last_name="Trịnh", username="lan_tipster")
    lan = Person(sandbox, lan_user, timeout=15)
    code = await send_tip(lan)
    admin = Person(sandbox, admin_user, timeout=15)
    await admin.send("/start", expect="ẩn danh")

    assert "Ghi mã tin báo và lý do" in text_of(await admin.send("/ban", expect="Ghi mã"))
    banned = await admin.send(f"/ban {code.lower()} gửi tin rác liên tục", expect="Đã chặn")
    assert f"/unban {code}" in text_of(banned)
    refused = await lan.send("/report", expect=BANNED)
    assert "113" in text_of(refused)
    again = await admin.send(f"/ban {code} lý do mới", expect="đã bị chặn từ trước")
    assert "cập nhật" in text_of(again)

    listed = await admin.send("/unban", expect="Người gửi bị chặn")
    assert "lý do mới" in text_of(listed)
    await admin.tap("🔓 1", expect="Hiện không ai bị chặn")
    await lan.send("/report", expect=WHAT_TO_REPORT)
    await lan.send("/cancel")

    await admin.send(f"/ban {code} lần hai", expect="Đã chặn")
    await admin.send(f"/unban {code}", expect="Đã bỏ chặn người gửi tin")
    await admin.send(f"/unban {code}", expect="không bị chặn")
    await admin.send("/ban T-ZZZZZZ spam", expect="Không có tin báo nào mang mã")

    # Retention deletes the way back of a tip closed long enough ago: no ban through it then.
    with bot.db() as conn:
        conn.execute("UPDATE tips SET status = 'resolved', closed_at = 1 WHERE code = ?", (code,))
        conn.execute("UPDATE tip_way_back SET delete_after = 1")
        conn.commit()
    await bot.run_job("retention")
    gone = await admin.send(f"/ban {code} spam", expect="Không còn xác định được")
    assert "hết thời hạn lưu giữ" in text_of(gone)

    # Who was banned is never shown, nor logged: not in the admin's chat, not in the audit log.
    pseudonym = bot.runtime.pseudonym_of(lan_user.id)
    seen = "\n".join(text_of(m) for m in sandbox.history(admin_user.id))
    with bot.db() as conn:
        audit_text = "\n".join(
            f"{r[0]} {r[1]} {r[2]}"
            for r in conn.execute("SELECT action, tip_id, detail FROM audit_log")
        )
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    for needle in (str(lan_user.id), "lan_tipster", "Trịnh", pseudonym):
        assert needle not in seen
        assert needle not in audit_text
    assert actions.count("resident.ban") == 3 and actions.count("resident.unban") == 2
    assert not sandbox.errors
