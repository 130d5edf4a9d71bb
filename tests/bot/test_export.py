"""The CSV export: Excel-ready UTF-8 with BOM, every tip of the period once, answers, times in
local time, formula-looking cells defused — and nothing that could identify a tipster."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot import export
from bot.anonymity import seal_way_back
from bot.communes import CommuneDirectory
from bot.i18n import texts
from bot.stats import Period
from storage import export as store
from storage import officers, tips
from storage.communes import Commune
from tests.storage import conftest as storage_fixtures
from tests.storage.helpers import COMMUNES
from tests.storage.test_tips import fraud_tip

# The storage tests' fixtures: a migrated database, with communes and staff.
staffed = storage_fixtures.staffed

VN = ZoneInfo("Asia/Ho_Chi_Minh")
KEY = bytes(range(32))
JULY = Period(date(2026, 7, 1), date(2026, 7, 31))
COMMUNE_NAMES = CommuneDirectory(
    [Commune(COMMUNES[0], "Phường Xuân Hương - Đà Lạt", "phường", "x", 68)], []
)


def at(day: int, hour: int = 10) -> int:
    return int(datetime(2026, 7, day, hour, tzinfo=VN).timestamp())


async def make_tip(db, n: int, created: int, **overrides):
    code = f"T-EX{n:04d}"
    values = dict(
        code=code,
        receipt_hash=f"x{n}",
        answers={"when": "now", "channels": ["zalo", "call"], "phones": "0912 345 678"},
        way_back=seal_way_back(KEY, 5550001, "f" * 64, tip_code=code, contact="+84987654321"),
    )
    values.update(overrides)
    return await tips.insert(db, fraud_tip(**values), now=created)


async def exported(db, language="vi", period=JULY) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    handle = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    count = await export.write_csv(db, handle, period, texts(language), COMMUNE_NAMES, VN)
    handle.flush()
    return buffer.getvalue(), count


async def test_rows_columns_and_local_times(staffed):
    db = staffed
    await officers.add(db, 5, "Officer")
    tip = await make_tip(db, 1, at(3, 23), description="=1+1 is a formula", urgent=True)
    await tips.acknowledge(db, tip.id, officer_id=5, now=at(3, 23) + 125 * 60)
    await tips.add_message(db, tip.id, "question", "?", officer_id=5, now=at(4))
    await tips.add_message(db, tip.id, "note", "n", officer_id=5, now=at(4))
    await make_tip(db, 2, at(1, 0) - 1, description="June 30th, 23:59:59 local")
    await make_tip(db, 3, at(31, 23), commune_code=None, location=None, indicators=())
    data, count = await exported(db)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert count == len(rows) == 2
    first = rows[0]
    assert first["Mã tin báo"] == "T-EX0001"
    assert first["Thời điểm gửi"] == "2026-07-03 23:00"
    assert first["Thời điểm tiếp nhận"] == "2026-07-04 01:05"
    # 125 minutes, rounded down to its step as /stats counts it (bot.stats.rounded_ack)
    assert first["Số phút đến khi tiếp nhận"] == "120"
    assert first["Khẩn cấp"] == "Có" and first["Tình trạng"] == "Đã tiếp nhận"
    assert first["Xã, phường"] == "Phường Xuân Hương - Đà Lạt"
    assert first["Thời điểm xảy ra"] == "Đang xảy ra / có người gặp nguy hiểm"
    assert first["Đối tượng liên lạc qua"] == "Zalo, Gọi điện thoại"
    assert first["Số điện thoại (như người dân ghi)"] == "0912 345 678"
    assert "phone:+84912345678" in first["Số, tài khoản, link (đã chuẩn hóa)"]
    assert "account:0123456789 (Vietcombank)" in first["Số, tài khoản, link (đã chuẩn hóa)"]
    assert first["Nội dung sự việc"] == "'=1+1 is a formula"
    assert (first["Số tệp đính kèm"], first["Số câu hỏi gửi người báo tin"]) == ("2", "1")
    assert (
        first["Số ghi chú của cán bộ"] == "1" and first["Số câu trả lời của người báo tin"] == "0"
    )
    assert (first["Vĩ độ"], first["Kinh độ"]) == ("11.9404", "108.4583")
    assert rows[1]["Xã, phường"] == "không rõ" and rows[1]["Mã xã, phường"] == ""
    # The sealed way back holds the tipster's chat id, pseudonym and shared phone: none of it.
    text = data.decode("utf-8-sig")
    for secret in ("5550001", "f" * 16, "+84987654321", "0987654321", "987 654 321"):
        assert secret not in text


async def test_english_headers(staffed):
    await make_tip(staffed, 1, at(5))
    data, _ = await exported(staffed, "en")
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Tip code,Sent at,Type,Kind,Urgent,Commune code,Commune,Status")


async def test_batches_never_skip_or_repeat(staffed):
    """Keyset pages over (created_at, id): tips sent in the same second are neither lost nor
    repeated at a page boundary."""
    for n in range(7):
        await make_tip(staffed, n, at(10) + n // 3)  # three tips per second
    start, end = JULY.bounds(VN)
    codes = [e.tip.code async for e in store.tips_in_period(staffed, start, end, batch=2)]
    assert codes == [f"T-EX{n:04d}" for n in range(7)]


def test_cells_that_look_like_formulas():
    for text in ("=SUM(A1)", "+84912", "-2", "@cmd", "\tx", "\rx"):
        assert export.safe_cell(text) == "'" + text
    for value in ("Có việc", "0912", 12, None, ""):
        assert export.safe_cell(value) == value


async def test_big_exports_are_zipped(staffed, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "ZIP_ABOVE", 100)
    await make_tip(staffed, 1, at(6))
    out = tmp_path / "out"
    out.mkdir()
    made = await export.export_file(staffed, out, JULY, texts("vi"), COMMUNE_NAMES, VN)
    assert made.tips == 1 and made.path.name == "tipbot-tips-2026-07-01-2026-07-31.zip"
    with zipfile.ZipFile(made.path) as archive:
        [name] = archive.namelist()
        assert name.endswith(".csv") and archive.read(name).startswith(b"\xef\xbb\xbf")
    assert list(out.iterdir()) == [made.path]
