"""Storage at scale: a database of 1,000,000 generated tips, and what the bot does with it.

    .venv/bin/python -m bench.storage [--tips 1000000] [--inserts 2000] [--regenerate]

The database is two years of a province's tips (Lâm Đồng, code 68): more each month as the bot
becomes known, fewer at night and at weekends; categories, kinds and communes weighted; statuses
by age (old tips mostly closed); acknowledgement times with a long tail, reminders and
escalations; fraud indicators drawn from a pool so that the same scammers recur (normalised by
the real parser); attachments, locations, questions, answers, notes and replies; the status
history, audit rows, officer notifications, ways back and outbox rows the app keeps for them (the
ways back of tips closed more than TIPBOT_RETENTION_DAYS ago and outbox rows older than two weeks
already purged, as the retention job would have). The schema and the officers, communes and
groups are the app's own (migrations, storage functions); the rows are bulk-inserted with the
app's columns in big transactions, and the daily statistics tables are filled by the app's own
`storage.stats.rebuild` (the triggers are set aside during the load, then restored).

Generating takes a few minutes, so the file is kept under bench/results/ and reused while the
schema version and this generator's version match; the measurements run on a copy.

Measured, each beside a baseline from the same run:
- `/stats` for last year through bot/stats.py as the handler calls it (numbers; numbers and the
  text), beside the same report counted from the tips with GROUP BY (the daily tables set aside);
  target ≤ 200 ms. The chart the handler sends after the text is timed too (no target).
- commune search p50 / p99 (bench/commune_search.py's queries), beside a linear `in` scan;
  target ≤ 5 ms.
- tip inserts through the app's path, one transaction per tip as bot/submission.py does it
  (storage.tips.insert with indicators, attachments and the sealed way back, the draft deleted,
  the routing outbox rows), into the million-tip database; beside SQLite's raw rate of a
  comparable row (the same values in a table with the same columns, no index or trigger), one
  transaction per row with the app's pragmas, in a file in the same directory. No target.
- file size per tip, beside the bare row's size in that raw table. No target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import commune_search
from bench.results import write_results
from bot import indicators as parse
from bot import routing
from bot import stats as bot_stats
from bot.anonymity import pseudonym, seal_way_back
from bot.app import province_display_name
from bot.communes import CommuneDirectory, sync_communes
from bot.config import Keys, load_config
from bot.i18n import texts
from bot.receipts import hash_receipt, new_tip_code
from bot.runtime import Runtime
from storage import communes as commune_store
from storage import drafts, officers, stats, tips
from storage.db import Database, load_migrations

RESULTS = Path(__file__).parent / "results"
GENERATOR_VERSION = 1  # bump when the generated data changes: the cached file is then rebuilt
PROVINCE = 68
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# A fixed "now", so that the cached file and every figure from it stay comparable run to run.
NOW = int(datetime(2026, 11, 27, 10, 0, tzinfo=TZ).timestamp())
SPAN_DAYS = 730
DAY = 86400
CHUNK = 20_000  # tips per transaction while generating
RETENTION = 90 * DAY  # TIPBOT_RETENTION_DAYS' default: ways back of tips closed before are gone
OUTBOX_KEPT = 14 * DAY  # bot/retention.py: sent outbox rows are purged after two weeks
STATS_TARGET_MS = 200
SEARCH_TARGET_MS = 5
STATS_REPEATS = 20
BASELINE_REPEATS = 3
ADMINS = (7_000_001, 7_000_002)
KEYS = Keys(b"p" * 32, b"w" * 32)


# What residents write ---------------------------------------------------------------------------

CATEGORY_WEIGHTS = {"fraud": 45, "crime": 25, "forest": 15, "other": 15}
KIND_WEIGHTS = {
    "crime": {"theft": 35, "drugs": 20, "gambling": 15, "violence": 15, "trafficking": 5,
              "other": 10},
    "forest": {"logging": 30, "encroachment": 25, "burning": 20, "wildlife": 10,
               "timber_transport": 10, "other": 5},
    "fraud": {"impersonation": 25, "investment": 20, "tasks": 20, "prizes": 10, "loan_apps": 10,
              "hacked_account": 10, "other": 5},
}  # fmt: skip
URGENT_SHARE = {"crime": 0.18, "forest": 0.15, "fraud": 0.05, "other": 0.04}
PLACES = ["thôn 3", "tổ dân phố 5", "chợ", "bến xe", "khu rẫy cà phê", "đường vào rừng thông",
          "bãi đất trống cuối thôn", "quán nước đầu hẻm", "khu nhà trọ", "trường tiểu học",
          "dốc cầu", "bìa rừng phía sau UBND xã", "hồ nước", "ngã ba"]  # fmt: skip
OPENINGS = {
    "fraud": [
        "Có người gọi điện tự xưng là công an, nói tôi liên quan đến một vụ án và yêu cầu chuyển "
        "tiền vào tài khoản để xác minh.",
        "Tôi được mời vào nhóm Telegram làm nhiệm vụ thả tim, lúc đầu được trả tiền, sau đó bị "
        "yêu cầu nạp thêm mới rút được.",
        "Một trang đầu tư tiền ảo hứa lãi 30% mỗi tháng, tôi đã nạp tiền và không rút ra được.",
        "Tài khoản Facebook của người quen nhắn tin hỏi mượn tiền gấp, tôi chuyển rồi mới biết "
        "tài khoản bị hack.",
        "Nhận tin nhắn trúng thưởng xe máy, phải đóng phí nhận giải qua tài khoản ngân hàng.",
        "Ứng dụng vay tiền trên điện thoại đòi phí giải ngân rồi gọi điện đe doạ người thân.",
    ],
    "crime": [
        "Có nhóm thanh niên tụ tập đánh bạc ăn tiền nhiều đêm liền.",
        "Nhà hàng xóm bị trộm xe máy lúc rạng sáng, kẻ gian đi xe không biển số.",
        "Thấy người lạ mua bán gói nhỏ nghi là ma tuý, thường vào buổi tối.",
        "Có người đe doạ, đòi nợ bằng cách ném chất bẩn vào nhà.",
        "Có người rủ thanh niên trong xóm sang nước ngoài làm việc lương cao, giữ giấy tờ của họ.",
    ],
    "forest": [
        "Nghe tiếng cưa máy trong rừng phòng hộ suốt buổi chiều.",
        "Có người phát dọn, đốt thực bì để lấn chiếm đất rừng.",
        "Thấy xe tải chở gỗ tròn không rõ nguồn gốc đi ra từ đường mòn.",
        "Có người đặt bẫy bắt thú rừng và rao bán trên mạng.",
        "Khói lửa bốc lên ở sườn đồi, có thể là cháy rừng.",
    ],
    "other": [
        "Có người đốt rác thải nhựa mỗi tối gây khói độc.",
        "Cơ sở xay xát xả nước thải ra suối.",
        "Xe chở quá tải chạy qua đường liên thôn làm hư đường.",
        "Tiếng ồn karaoke kéo dài đến nửa đêm.",
    ],
}
DETAILS = [
    "Việc này xảy ra ở {place}.",
    "Khoảng {hour} giờ tối hôm qua.",
    "Đã nhiều lần rồi, người dân trong khu vực đều biết.",
    "Tôi có chụp được vài tấm ảnh gửi kèm.",
    "Người này đi xe máy màu đen, đội mũ bảo hiểm đỏ.",
    "Mong cơ quan chức năng sớm kiểm tra xử lý.",
    "Tôi không dám báo trực tiếp vì sợ bị trả thù.",
    "Số tiền đã mất khoảng {amount} triệu đồng.",
    "Gia đình tôi rất lo lắng.",
]
WHEN = ("now", "today", "earlier", "unknown")
CHANNELS = ("call", "sms", "zalo", "facebook", "telegram", "website", "app")
BANKS = ("Vietcombank", "Techcombank", "MB", "ACB", "VPBank", "Agribank", "BIDV", "Sacombank")
MEDIA = (("photo", 70), ("video", 15), ("voice", 10), ("document", 5))
QUESTION = "Bạn có nhớ biển số xe hoặc đặc điểm nhận dạng nào khác không?"
ANSWER = "Tôi chỉ nhớ xe màu đen, biển số có đuôi 68."
NOTE = "Đã chuyển thông tin cho tổ công tác xã, chờ xác minh."
REPLY = "Cảm ơn bạn. Công an xã đã kiểm tra và xử lý vụ việc."


@dataclass(frozen=True)
class Content:
    """What a resident's finished tip holds (the same for generated rows and timed inserts)."""

    category: str
    kind: str | None
    urgent: bool
    description: str
    answers: dict
    location: tuple[float, float] | None
    indicators: tuple[tips.Indicator, ...]
    attachments: tuple[tips.Attachment, ...]


class Residents:
    """Draws tips like residents write them; scammers' phones, accounts and links recur."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.categories = list(CATEGORY_WEIGHTS)
        self.category_weights = _cumulative(CATEGORY_WEIGHTS.values())
        self.kinds = {c: (list(w), _cumulative(w.values())) for c, w in KIND_WEIGHTS.items()}
        self.media = [kind for kind, _ in MEDIA]
        self.media_weights = _cumulative(w for _, w in MEDIA)
        # Parsed once with the app's parser: the stored values are exactly what it would store.
        self.phones = _parsed("phone", [f"09{rng.randrange(10**8):08d}" for _ in range(4000)])
        self.accounts = _parsed(
            "account", [f"{rng.choice(BANKS)} {rng.randrange(10**10):010d}" for _ in range(3000)]
        )
        self.links = _parsed(
            "link", [f"https://{_host(rng)}/dang-ky?ref={rng.randrange(999)}" for _ in range(800)]
        )
        self.amounts = _parsed("amount", [f"{n} triệu" for n in range(1, 300)])

    def _recurring(self, pool: list) -> tips.Indicator:
        # A few scammers account for most reports: skewed towards the start of the pool.
        return pool[int(len(pool) * self.rng.random() ** 3)]

    def content(self) -> Content:
        rng = self.rng
        category = rng.choices(self.categories, cum_weights=self.category_weights)[0]
        kind = None
        if category in self.kinds:
            names, weights = self.kinds[category]
            kind = rng.choices(names, cum_weights=weights)[0]
        parts = [rng.choice(OPENINGS[category])]
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            parts.append(
                rng.choice(DETAILS).format(
                    place=rng.choice(PLACES), hour=rng.randrange(6, 12), amount=rng.randrange(2, 90)
                )
            )
        answers: dict = {"when": rng.choice(WHEN)}
        found: list[tips.Indicator] = []
        if category == "fraud":
            answers["channels"] = rng.sample(CHANNELS, rng.choice((1, 1, 2)))
            if rng.random() < 0.7:
                found.append(self._recurring(self.phones))
                answers["phones"] = found[-1].raw
            if rng.random() < 0.35:
                found.append(self._recurring(self.accounts))
                answers["accounts"] = found[-1].raw
            if rng.random() < 0.2:
                found.append(self._recurring(self.links))
                answers["links"] = found[-1].raw
            if rng.random() < 0.5:
                found.append(rng.choice(self.amounts))
                answers["loss"] = found[-1].raw
        attachments = ()
        if rng.random() < 0.25:
            attachments = tuple(
                tips.Attachment(
                    rng.choices(self.media, cum_weights=self.media_weights)[0],
                    "AgACAgUAAxkBAAI" + rng.randbytes(45).hex()[: rng.randrange(55, 70)],
                    "AQAD" + rng.randbytes(6).hex(),
                )
                for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4)))
            )
        location = None
        if rng.random() < (0.4 if category == "forest" else 0.12):
            location = (round(rng.uniform(11.2, 12.4), 6), round(rng.uniform(107.3, 108.7), 6))
        return Content(
            category=category,
            kind=kind,
            urgent=rng.random() < URGENT_SHARE[category],
            description=" ".join(parts),
            answers=answers,
            location=location,
            indicators=tuple(found),
            attachments=attachments,
        )


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _host(rng: random.Random) -> str:
    words = ("vay", "nhanh", "dau-tu", "uu-dai", "qua-tang", "viec-lam", "shopee", "nhan-thuong")
    tld = rng.choice(("xyz", "top", "vip", "com"))
    return f"{rng.choice(words)}-{rng.choice(words)}{rng.randrange(100)}.{tld}"


def _parsed(kind: str, raw: list[str]) -> list[tips.Indicator]:
    found = []
    for text in raw:
        found += [
            tips.Indicator(i.kind, i.value, i.display, i.bank)
            for i in parse.parse_indicators(kind, text)
            if i.parsed
        ]
    return found


# The province's staff -------------------------------------------------------------------------


@dataclass
class Staff:
    communes: list[int]
    commune_weights: list[float]
    officers_of: dict[int, list[int]]
    chats_of: dict[int | None, list[int]]  # the chats a commune's tips go to; None: the admins


async def add_staff(db: Database, rng: random.Random) -> Staff:
    """Two officers per commune, a group for two communes in five, two admins: through the app's
    own storage functions."""
    communes = await commune_store.list_communes(db, PROVINCE)
    codes = [c.code for c in communes]
    for admin in ADMINS:
        await officers.add(db, admin, f"Admin {admin}", now=NOW - SPAN_DAYS * DAY)
    await officers.ensure_admins(db, ADMINS, now=NOW - SPAN_DAYS * DAY)
    officers_of: dict[int, list[int]] = {}
    chats_of: dict[int | None, list[int]] = {None: list(ADMINS)}
    for n, code in enumerate(codes):
        ids = [8_000_000 + 2 * n, 8_000_001 + 2 * n]
        for user_id in ids:
            await officers.add(db, user_id, f"Cán bộ {user_id}", now=NOW - SPAN_DAYS * DAY)
            await officers.add_commune(db, user_id, code)
        chats = list(ids)
        if rng.random() < 0.4:
            group = -1_002_000_000_000 - n
            await officers.link_group(db, group, code, title=f"Tổ {code}", linked_by=ids[0])
            chats.append(group)
        officers_of[code] = ids
        chats_of[code] = chats
    # Wards (towns) send more tips than rural communes, and some places more than others.
    weights = [
        (2.5 if c.division_type == "phường" else 1) * rng.lognormvariate(0, 0.5) for c in communes
    ]
    return Staff(codes, _cumulative(weights), officers_of, chats_of)


# Generating the database ------------------------------------------------------------------------

HOUR_WEIGHTS = _cumulative(
    [1, 0.6, 0.4, 0.3, 0.4, 1, 2, 4, 6, 7, 7, 6, 5, 5, 6, 6, 6, 6, 7, 8, 8, 6, 4, 2]
)
_TABLES = {
    "tips": """INSERT INTO tips (id, code, receipt_hash, category, kind, commune_code, urgent,
                   description, answers, latitude, longitude, status, created_at, updated_at,
                   routed_at, reminded_at, escalated_at, acknowledged_at, acknowledged_by,
                   closed_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
    "tip_indicators": """INSERT INTO tip_indicators (tip_id, kind, value, raw, bank)
                         VALUES (?, ?, ?, ?, ?)""",
    "tip_attachments": """INSERT INTO tip_attachments (tip_id, position, kind, file_id,
                              file_unique_id) VALUES (?, ?, ?, ?, ?)""",
    "tip_way_back": "INSERT INTO tip_way_back (tip_id, sealed, delete_after) VALUES (?, ?, ?)",
    "tip_status_history": """INSERT INTO tip_status_history (tip_id, status, commune_code,
                                 officer_id, changed_at) VALUES (?, ?, ?, ?, ?)""",
    "tip_messages": """INSERT INTO tip_messages (id, tip_id, kind, body, officer_id, created_at)
                       VALUES (?, ?, ?, ?, ?, ?)""",
    "tip_notifications": """INSERT INTO tip_notifications (tip_id, chat_id, message_id)
                            VALUES (?, ?, ?)""",
    "audit_log": """INSERT INTO audit_log (created_at, actor_id, action, tip_id, detail)
                    VALUES (?, ?, ?, ?, ?)""",
    "outbox": """INSERT INTO outbox (kind, chat_id, to_tipster_of, payload, dedupe_key, status,
                     attempts, next_attempt_at, sent_message_id, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, 'sent', 1, ?, ?, ?, ?)""",
}  # fmt: skip


def sending_times(rng: random.Random, count: int) -> list[int]:
    """`count` moments over the SPAN_DAYS before NOW, sorted: growing use (a third as many tips a
    day at the start as at the end), quieter weekends and nights, a few waves of scams."""
    first_day = (NOW + 7 * 3600) // DAY - SPAN_DAYS  # local days
    weights = []
    for d in range(SPAN_DAYS):
        weight = (1 + 2 * d / SPAN_DAYS) * rng.gauss(1, 0.12)
        if (first_day + d + 3) % 7 >= 5:  # day 0 of the epoch was a Thursday
            weight *= 0.8
        if rng.random() < 0.02:
            weight *= rng.uniform(1.5, 3)
        weights.append(max(weight, 0.1))
    scale = count / sum(weights)
    per_day = [int(w * scale) for w in weights]
    for d in rng.sample(range(SPAN_DAYS), count - sum(per_day)):
        per_day[d] += 1
    moments = []
    for d, n in enumerate(per_day):
        midnight = (first_day + d) * DAY - 7 * 3600
        hours = rng.choices(range(24), cum_weights=HOUR_WEIGHTS, k=n)
        moments += sorted(midnight + h * 3600 + rng.randrange(3600) for h in hours)
    return [min(m, NOW - 60) for m in moments]


@dataclass
class Generator:
    """Turns tips into the rows the app would hold for them at NOW, a chunk at a time."""

    rng: random.Random
    residents: Residents
    staff: Staff
    moments: list[int]
    message_id: int = 0
    chat_messages: dict[int, int] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)

    def chunk(self, start: int, stop: int) -> dict[str, list[tuple]]:
        rows: dict[str, list[tuple]] = {table: [] for table in _TABLES}
        for tip_id in range(start + 1, stop + 1):
            self._tip(tip_id, self.moments[tip_id - 1], rows)
        return rows

    def _code(self) -> str:
        while True:
            bits = self.rng.getrandbits(30)
            code = "T-" + "".join(
                "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(bits >> s) & 31] for s in range(0, 30, 5)
            )
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _tip(self, tip_id: int, created: int, rows: dict[str, list[tuple]]) -> None:
        rng, staff = self.rng, self.staff
        content = self.residents.content()
        commune = None
        if rng.random() >= 0.08:  # "I don't know" goes to the province queue
            commune = rng.choices(staff.communes, cum_weights=staff.commune_weights)[0]
        officer_ids = staff.officers_of.get(commune, list(ADMINS))
        chats = staff.chats_of[commune]
        urgent = content.urgent
        age = NOW - created

        # Acknowledgement: minutes for urgent tips, hours for others, a long tail for both.
        delay = rng.lognormvariate(math.log(8 * 60 if urgent else 2 * 3600), 1.2)
        remind, escalate = (15 * 60, 30 * 60) if urgent else (24 * 3600, 72 * 3600)
        never = rng.random() < (0.004 if age > 30 * DAY else 0.02)
        acknowledged = None if never or created + delay >= NOW else int(created + delay)
        reminded = created + remind if (acknowledged or NOW) - created > remind else None
        escalated = created + escalate if (acknowledged or NOW) - created > escalate else None
        status, closed, investigating = "new", None, None
        if acknowledged:
            status = "acknowledged"
            if rng.random() < min(0.92, age / (20 * DAY)):
                investigating = acknowledged + int(rng.expovariate(1 / (6 * 3600)))
                status = "investigating"
                close = investigating + int(rng.expovariate(1 / (5 * DAY)))
                if close < NOW and rng.random() < 0.9:
                    closed = close
                    status = "resolved" if rng.random() < 0.65 else "not_actionable"
                elif investigating >= NOW:
                    investigating, status = None, "acknowledged"
        officer = rng.choice(officer_ids)
        latitude, longitude = content.location or (None, None)
        events = [created]

        history = rows["tip_status_history"]
        audit = rows["audit_log"]
        history.append((tip_id, "new", commune, None, created))
        if acknowledged:
            history.append((tip_id, "acknowledged", commune, officer, acknowledged))
            audit.append((acknowledged, officer, "tip.acknowledge", tip_id, "{}"))
            events.append(acknowledged)
        if investigating:
            history.append((tip_id, "investigating", commune, officer, investigating))
            audit.append(
                (investigating, officer, "tip.status", tip_id, '{"status": "investigating"}')
            )
            events.append(investigating)
        if closed:
            history.append((tip_id, status, commune, officer, closed))
            audit.append((closed, officer, "tip.status", tip_id, f'{{"status": "{status}"}}'))
            events.append(closed)
        if escalated:
            audit.append((escalated, None, "tip.escalate", tip_id, "{}"))

        messages = rows["tip_messages"]
        if acknowledged and rng.random() < 0.12:
            asked = acknowledged + rng.randrange(60, 6 * 3600)
            if asked < NOW:
                self.message_id += 1
                messages.append((self.message_id, tip_id, "question", QUESTION, officer, asked))
                detail = f'{{"message_id": {self.message_id}}}'
                audit.append((asked, officer, "tip.question", tip_id, detail))
                answered = asked + rng.randrange(60, 2 * DAY)
                if rng.random() < 0.65 and answered < NOW:
                    self.message_id += 1
                    messages.append((self.message_id, tip_id, "answer", ANSWER, None, answered))
                    detail = f'{{"message_id": {self.message_id}}}'
                    audit.append((answered, None, "tip.answer_relayed", tip_id, detail))
        if investigating and rng.random() < 0.1:
            self.message_id += 1
            messages.append((self.message_id, tip_id, "note", NOTE, officer, investigating))
            detail = f'{{"message_id": {self.message_id}}}'
            audit.append((investigating, officer, "tip.note", tip_id, detail))
        if closed and rng.random() < 0.25:
            self.message_id += 1
            messages.append((self.message_id, tip_id, "reply", REPLY, officer, closed))
            detail = f'{{"message_id": {self.message_id}}}'
            audit.append((closed, officer, "tip.reply", tip_id, detail))

        for chat in chats:
            self.chat_messages[chat] = sent = self.chat_messages.get(chat, 0) + 1
            rows["tip_notifications"].append((tip_id, chat, sent))
            if created > NOW - OUTBOX_KEPT:
                rows["outbox"].append(
                    ("tip", chat, None, f'{{"tip_id": {tip_id}}}',
                     f"tip:{tip_id}:{created}:{chat}", created, sent, created, created + 1)
                )  # fmt: skip
        if acknowledged and acknowledged > NOW - OUTBOX_KEPT:
            rows["outbox"].append(
                ("tipster_text", None, tip_id, f'{{"tip_id": {tip_id}, "template": "ack"}}',
                 f"tipster_text:{tip_id}:ack", acknowledged, 1, acknowledged, acknowledged + 1)
            )  # fmt: skip
        if closed is None or closed > NOW - RETENTION:
            # What seal_way_back makes: version, nonce, chat id and pseudonym, tag (101 bytes).
            rows["tip_way_back"].append(
                (tip_id, rng.randbytes(101), None if closed is None else closed + RETENTION)
            )
        for indicator in content.indicators:
            rows["tip_indicators"].append(
                (tip_id, indicator.kind, indicator.value, indicator.raw, indicator.bank)
            )
        for position, attachment in enumerate(content.attachments):
            rows["tip_attachments"].append(
                (tip_id, position, attachment.kind, attachment.file_id, attachment.file_unique_id)
            )
        rows["tips"].append(
            (tip_id, self._code(), f"{rng.getrandbits(256):064x}", content.category,
             content.kind, commune, int(urgent), content.description,
             json.dumps(content.answers, ensure_ascii=False), latitude, longitude, status,
             created, max(events), created, reminded, escalated, acknowledged,
             officer if acknowledged else None, closed)
        )  # fmt: skip


@dataclass(frozen=True)
class Cached:
    path: Path
    meta: dict


def cache_paths(count: int) -> tuple[Path, Path]:
    return RESULTS / f"storage-{count}.sqlite3", RESULTS / f"storage-{count}.meta.json"


def cached(count: int) -> Cached | None:
    """The generated file, if it is there and was made by this generator for this schema."""
    path, meta_path = cache_paths(count)
    if not (path.exists() and meta_path.exists()):
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if (
        meta.get("schema_version") != len(load_migrations())
        or meta.get("generator") != GENERATOR_VERSION
        or meta.get("tips") != count
    ):
        return None
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        if conn.execute("PRAGMA user_version").fetchone()[0] != meta["schema_version"]:
            return None
    return Cached(path, meta)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def generate(count: int) -> Cached:
    path, meta_path = cache_paths(count)
    partial = path.with_suffix(".partial")
    _remove(partial)
    meta_path.unlink(missing_ok=True)
    started = time.perf_counter()
    rng = random.Random(PROVINCE)

    db = await Database.open(partial)
    try:
        await sync_communes(db, PROVINCE)
        staff = await add_staff(db, rng)
    finally:
        await db.close()

    conn = sqlite3.connect(partial, isolation_level=None)
    try:
        # A file nobody else reads, thrown away if this fails: no journal, no syncing.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -524288")  # 512 MiB: the random-keyed indexes stay hot
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stats_%'"
        ).fetchall()
        for name, _sql in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        generator = Generator(rng, Residents(rng), staff, sending_times(rng, count))
        bounds = [(n, min(n + CHUNK, count)) for n in range(0, count, CHUNK)]
        # Drawing the next chunk (Python) overlaps with inserting this one (SQLite lets go of
        # the GIL while it works); one drawing thread keeps the sequence reproducible.
        with ThreadPoolExecutor(max_workers=1) as drawing:
            upcoming = drawing.submit(generator.chunk, *bounds[0])
            for n in range(len(bounds)):
                rows = upcoming.result()
                if n + 1 < len(bounds):
                    upcoming = drawing.submit(generator.chunk, *bounds[n + 1])
                conn.execute("BEGIN")
                for table, sql in _TABLES.items():
                    conn.executemany(sql, rows[table])
                conn.execute("COMMIT")
                if bounds[n][1] % 200_000 == 0 or bounds[n][1] == count:
                    print(f"  {bounds[n][1]:,} tips ({time.perf_counter() - started:.0f} s)")
        for _name, sql in triggers:
            conn.execute(sql)
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()

    db = await Database.open(partial)
    try:
        await stats.rebuild(db)  # the app's own recount of the daily tables
        await db.fetch_value("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await db.close()
    _remove(path)
    partial.replace(path)
    _remove(partial)
    meta = {
        "schema_version": len(load_migrations()),
        "generator": GENERATOR_VERSION,
        "tips": count,
        "now": NOW,
        "seconds": round(time.perf_counter() - started, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return Cached(path, meta)


# Measuring ----------------------------------------------------------------------------------


def runtime_for(db: Database, directory: CommuneDirectory, data_dir: str) -> Runtime:
    config = load_config(
        {
            "TIPBOT_TOKEN": "4242:bench-token",
            "TIPBOT_DATA_DIR": data_dir,
            "TIPBOT_ADMIN_IDS": ",".join(map(str, ADMINS)),
        }
    )
    return Runtime(config, KEYS, db, directory, province_display_name(PROVINCE), clock=lambda: NOW)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


async def timed(work: Callable, repeats: int) -> tuple[float, list[float]]:
    """The first call's seconds (fresh connection, cold caches) and the following calls'."""
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return times[0], times[1:]


async def measure_stats(runtime: Runtime) -> dict:
    today = bot_stats.today_in(TZ, NOW)
    period = bot_stats.preset("last_year", today)
    t = texts("vi")

    async def numbers():
        return await bot_stats.compute(runtime.db, runtime.config, period, NOW)

    async def with_text():
        report = await numbers()
        return bot_stats.report_text(report, t, runtime.communes, runtime.province_name)

    first, numbers_times = await timed(numbers, STATS_REPEATS)
    _first_text, text_times = await timed(with_text, STATS_REPEATS)
    report = await numbers()

    from bot.chart import render_chart

    generated = datetime.fromtimestamp(NOW, TZ)
    render_chart(report, t, runtime.province_name, generated)  # fonts and caches loaded once
    chart_times = []
    for _ in range(3):
        started = time.perf_counter()
        render_chart(report, t, runtime.province_name, generated)
        chart_times.append(time.perf_counter() - started)

    # Baseline: the same report with every day counted from the tips (GROUP BY over the year's
    # rows through tips_by_created), which is what the daily tables spare /stats.
    real_split = stats._split
    stats._split = lambda start, end, _offset: stats._Split(0, 0, ((start, end),))
    try:
        _first_baseline, baseline_times = await timed(numbers, BASELINE_REPEATS - 1)
        baseline_times.append(_first_baseline)
        counted = await numbers()
    finally:
        stats._split = real_split
    if counted.totals != report.totals:
        raise AssertionError("the daily tables disagree with the tips: the bench data is wrong")
    return {
        "period": f"{period.first} – {period.last} (last year)",
        "tips_in_period": report.tips,
        "numbers_first_ms": ms(first),
        "numbers_p50_ms": ms(statistics.median(numbers_times)),
        "numbers_max_ms": ms(max(numbers_times)),
        "with_text_p50_ms": ms(statistics.median(text_times)),
        "with_text_max_ms": ms(max(text_times)),
        "text_chars": len(await with_text()),
        "chart_p50_ms": ms(statistics.median(chart_times)),
        "baseline_group_by_p50_ms": ms(statistics.median(baseline_times)),
        "target_ms": STATS_TARGET_MS,
    }


async def measure_search(db: Database) -> dict:
    directory = await CommuneDirectory.load(db, PROVINCE)
    names = [c.name for c in await commune_store.list_communes(db, PROVINCE)]
    aliases = await commune_store.list_aliases(db, PROVINCE)
    typed = commune_search.queries(names, sorted({a.name for a in aliases if a.kind == "district"}))
    lowered = [name.lower() for name in names]

    def linear(query: str) -> list[str]:
        query = query.lower()
        return [name for name in lowered if query in name]

    ours = commune_search.measure(directory.search, typed)
    baseline = commune_search.measure(linear, typed)

    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98]

    return {
        "queries": len(typed) * commune_search.REPEATS,
        "p50_ms": round(statistics.median(ours) / 1000, 4),
        "p99_ms": round(p99(ours) / 1000, 4),
        "max_ms": round(max(ours) / 1000, 3),
        "baseline_p50_ms": round(statistics.median(baseline) / 1000, 4),
        "baseline_p99_ms": round(p99(baseline) / 1000, 4),
        "target_ms": SEARCH_TARGET_MS,
    }


async def new_tips(db: Database, count: int, rng: random.Random) -> list[tuple[str, tips.NewTip]]:
    """Finished tips as bot/submission.py builds them (the receipt's scrypt is timed apart), with
    codes not yet taken: the app's redraw on a collision is not what is timed here."""
    communes = [c.code for c in await commune_store.list_communes(db, PROVINCE)]
    residents = Residents(rng)
    made = []
    for n in range(count):
        content = residents.content()
        who = pseudonym(KEYS.pseudonym, 5_000_000_000 + n)
        code = new_tip_code()
        while await tips.get_by_code(db, code) is not None:
            code = new_tip_code()
        made.append(
            (
                who,
                tips.NewTip(
                    code=code,
                    receipt_hash=f"{rng.getrandbits(256):064x}",
                    category=content.category,
                    description=content.description,
                    way_back=seal_way_back(KEYS.way_back, 5_000_000_000 + n, who, tip_code=code),
                    commune_code=rng.choice(communes) if rng.random() > 0.08 else None,
                    kind=content.kind,
                    urgent=content.urgent,
                    answers=content.answers,
                    location=content.location,
                    indicators=content.indicators,
                    attachments=content.attachments,
                ),
            )
        )
    return made


async def measure_inserts(runtime: Runtime, count: int, raw_path: Path) -> dict:
    db = runtime.db
    batch = await new_tips(db, count, random.Random(7))
    for who, _tip in batch:  # each resident has a draft until the tip is stored
        await drafts.save(db, who, "confirm", {"category": "other"}, ttl=DAY, now=NOW)
    latencies = []
    started = time.perf_counter()
    for who, tip in batch:
        began = time.perf_counter()
        # bot/submission.py's transaction, minus the receipt's scrypt (CPU, not storage).
        async with db.transaction():
            stored = await tips.insert(db, tip)
            await drafts.delete(db, who)
            await routing.route(runtime, stored)
        latencies.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - started

    raw = raw_inserts([tip for _who, tip in batch], raw_path)
    receipt_hash = []
    for n in range(5):
        began = time.perf_counter()
        hash_receipt(f"BENCH{n:015d}", KEYS.receipt_salt)
        receipt_hash.append(time.perf_counter() - began)
    return {
        "tips": count,
        "per_second": round(count / elapsed, 1),
        "p50_ms": ms(statistics.median(latencies)),
        "p99_ms": ms(statistics.quantiles(latencies, n=100)[98]),
        "raw_per_second": raw["per_second"],
        "raw_p50_ms": raw["p50_ms"],
        "raw_bytes_per_row": raw["bytes_per_row"],
        "receipt_scrypt_ms": ms(statistics.median(receipt_hash)),
    }


def raw_inserts(batch: list[tips.NewTip], path: Path) -> dict:
    """SQLite alone: the tip's own values into a table with its columns, no index, no trigger,
    one transaction per row, with the app's pragmas, on the same disk."""
    _remove(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in (
            "journal_mode = WAL", "foreign_keys = ON", "synchronous = NORMAL", "secure_delete = ON"
        ):  # fmt: skip
            conn.execute(f"PRAGMA {pragma}")
        conn.execute(
            """CREATE TABLE raw_tips (id INTEGER PRIMARY KEY, code TEXT, receipt_hash TEXT,
                   category TEXT, kind TEXT, commune_code INTEGER, urgent INTEGER,
                   description TEXT, answers TEXT, latitude REAL, longitude REAL, status TEXT,
                   created_at INTEGER, updated_at INTEGER, routed_at INTEGER, way_back BLOB)
               STRICT"""
        )
        rows = [
            (t.code, t.receipt_hash, t.category, t.kind, t.commune_code, int(t.urgent),
             t.description, json.dumps(t.answers, ensure_ascii=False),
             *(t.location or (None, None)), "new", NOW, NOW, NOW, t.way_back)
            for t in batch
        ]  # fmt: skip
        sql = f"INSERT INTO raw_tips VALUES (NULL, {', '.join('?' * 15)})"
        latencies = []
        started = time.perf_counter()
        for row in rows:
            began = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, row)
            conn.execute("COMMIT")
            latencies.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - started
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
        _remove(path)
    return {
        "per_second": round(len(rows) / elapsed, 1),
        "p50_ms": ms(statistics.median(latencies)),
        # The table's pages only: the first page is the schema.
        "bytes_per_row": round((pages - 1) * page_size / len(rows), 1),
    }


def file_figures(path: Path, count: int) -> dict:
    """Bytes per tip in all, and the biggest tables and indexes (SQLite's dbstat)."""
    size = path.stat().st_size
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        by_name = conn.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    return {
        "file_bytes": size,
        "bytes_per_tip": round(size / count, 1),
        "largest": {name: round(bytes_ / count, 1) for name, bytes_ in by_name[:8]},
    }


async def main(count: int, inserts: int, regenerate: bool) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    found = None if regenerate else cached(count)
    if found is None:
        print(f"generating {count:,} tips (kept in bench/results/ for the next runs)")
        found = await generate(count)
        print(f"  generated in {found.meta['seconds']} s")
    else:
        print(f"reusing {found.path.name} (generated in {found.meta['seconds']} s)")
    figures = {
        "tips": count,
        "generation_seconds": found.meta["seconds"],
        "file": file_figures(found.path, count),
    }
    # The measurements write (inserts; /stats may rebuild): on a copy, the cache stays as made.
    with tempfile.TemporaryDirectory(dir=RESULTS) as work:
        copy = Path(work) / "tipbot.sqlite3"
        shutil.copyfile(found.path, copy)
        db = await Database.open(copy)
        try:
            directory = await CommuneDirectory.load(db, PROVINCE)
            runtime = runtime_for(db, directory, work)
            figures["stats"] = await measure_stats(runtime)
            figures["search"] = await measure_search(db)
            figures["insert"] = await measure_inserts(runtime, inserts, Path(work) / "raw.sqlite3")
        finally:
            await db.close()
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def report(figures: dict) -> None:
    s, c, i, f = figures["stats"], figures["search"], figures["insert"], figures["file"]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.3g}" if b else "—"

    rows = [
        ("/stats last year, numbers (p50)", f"{s['numbers_p50_ms']:.1f} ms",
         f"≤ {s['target_ms']} ms", f"{s['baseline_group_by_p50_ms']:,.0f} ms GROUP BY",
         ratio(s["numbers_p50_ms"], s["baseline_group_by_p50_ms"])),
        ("/stats last year, with text (p50)", f"{s['with_text_p50_ms']:.1f} ms",
         f"≤ {s['target_ms']} ms", f"{s['baseline_group_by_p50_ms']:,.0f} ms GROUP BY",
         ratio(s["with_text_p50_ms"], s["baseline_group_by_p50_ms"])),
        ("commune search p50", f"{c['p50_ms'] * 1000:.0f} µs", f"≤ {c['target_ms']} ms",
         f"{c['baseline_p50_ms'] * 1000:.1f} µs linear scan",
         ratio(c["p50_ms"], c["baseline_p50_ms"])),
        ("commune search p99", f"{c['p99_ms'] * 1000:.0f} µs", f"≤ {c['target_ms']} ms",
         f"{c['baseline_p99_ms'] * 1000:.1f} µs linear scan",
         ratio(c["p99_ms"], c["baseline_p99_ms"])),
        ("tip insert, app path, 1 txn/tip", f"{i['per_second']:,.0f} /s", "—",
         f"{i['raw_per_second']:,.0f} /s raw SQLite", ratio(i["per_second"], i["raw_per_second"])),
        ("file size per tip", f"{f['bytes_per_tip'] / 1024:.2f} KiB", "—",
         f"{i['raw_bytes_per_row'] / 1024:.2f} KiB bare row",
         ratio(f["bytes_per_tip"], i["raw_bytes_per_row"])),
    ]  # fmt: skip
    print(
        f"storage: {figures['tips']:,} tips, {f['file_bytes'] / 2**30:.2f} GiB; "
        f"load average {', '.join(map(str, figures['load_average']))}"
    )
    print(f"{'':<34}{'figure':>12}{'target':>12}  {'baseline':<30}{'ratio':>7}")
    for label, figure, target, baseline, r in rows:
        print(f"{label:<34}{figure:>12}{target:>12}  {baseline:<30}{r:>7}")
    print(
        f"  /stats: {s['tips_in_period']:,} tips in {s['period']}; first call "
        f"{s['numbers_first_ms']:.0f} ms, max {s['numbers_max_ms']:.0f} ms; the chart sent after "
        f"the text {s['chart_p50_ms']:.0f} ms"
    )
    print(
        f"  insert: p50 {i['p50_ms']:.2f} ms, p99 {i['p99_ms']:.2f} ms per tip (raw p50 "
        f"{i['raw_p50_ms']:.3f} ms); the receipt's scrypt adds {i['receipt_scrypt_ms']:.0f} ms "
        f"of CPU per tip"
    )
    largest = ", ".join(f"{name} {size:.0f}" for name, size in f["largest"].items())
    print(f"  bytes per tip by table/index: {largest}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tips", type=int, default=1_000_000)
    parser.add_argument("--inserts", type=int, default=2000)
    parser.add_argument("--regenerate", action="store_true", help="ignore the cached database")
    args = parser.parse_args()
    figures = asyncio.run(main(args.tips, args.inserts, args.regenerate))
    report(figures)
    write_results("storage", figures, RESULTS)
