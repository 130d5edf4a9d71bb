"""The HTTP face of the sandbox: envelopes, statuses, tokens, encodings, file downloads."""

import json

import httpx
import pytest
import telegram
from telegram.error import BadRequest, InvalidToken
from telegram.request import HTTPXRequest

from sandbox.files import sample_png
from tests.sandbox.conftest import TOKEN, RawApi


async def test_get_me_through_ptb(tg: telegram.Bot):
    me = await tg.get_me()
    assert me.id == 123
    assert me.username == "tipbot_demo_bot"
    assert me.is_bot
    assert me.can_read_all_group_messages is False  # privacy mode, BotFather's default


async def test_success_and_error_envelopes_carry_the_http_status(raw: RawApi):
    status, body = await raw("getMe")
    assert status == 200 and body["ok"] is True and body["result"]["id"] == 123
    status, body = await raw("sendMessage", chat_id=1, text="x")
    assert status == 400
    assert body == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}


async def test_wrong_token_is_401_unauthorized(sb, raw: RawApi):
    status, body = await RawApi(raw.client, token="123:WRONG")("getMe")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    request = HTTPXRequest()
    bot = telegram.Bot("123:WRONG", base_url=sb.base_url, request=request)
    try:
        with pytest.raises(InvalidToken):
            await bot.get_me()
    finally:
        await request.shutdown()


async def test_unknown_method_is_400_not_404(raw: RawApi, tg: telegram.Bot):
    status, body = await raw("sendHologram", chat_id=1)
    assert status == 400
    assert body["description"] == "Bad Request: method not found"
    with pytest.raises(BadRequest, match="Method not found"):
        await tg.do_api_request("sendHologram")


async def test_method_names_are_case_insensitive_and_recorded_canonically(sb, raw: RawApi):
    status, _ = await raw("GETME")
    assert status == 200
    assert sb.calls[-1].method == "getMe"


async def test_form_query_string_and_json_bodies_are_all_read(sb, raw: RawApi, lan):
    client = raw.client
    form = await client.post(f"/bot{TOKEN}/sendMessage", data={"chat_id": lan.id, "text": "42"})
    query = await client.get(f"/bot{TOKEN}/sendMessage", params={"chat_id": lan.id, "text": "q"})
    as_json = await client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": lan.id, "text": "j"})
    assert [r.status_code for r in (form, query, as_json)] == [200, 200, 200]
    assert form.json()["result"]["text"] == "42"  # free text stays text
    assert sb.calls[-3].params == {"chat_id": lan.id, "text": "42"}  # ids become ints


async def test_nested_objects_arrive_as_json_strings_in_form_data(raw: RawApi, lan):
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    response = await raw.client.post(
        f"/bot{TOKEN}/sendMessage", data={"chat_id": lan.id, "text": "x", "reply_markup": markup}
    )
    assert response.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    broken = await raw.client.post(
        f"/bot{TOKEN}/sendMessage", data={"chat_id": lan.id, "text": "x", "reply_markup": "{"}
    )
    assert broken.json()["description"] == (
        "Bad Request: can't parse reply keyboard markup JSON object"
    )


async def test_multipart_upload_and_file_download(sb, tg: telegram.Bot, lan):
    sent = await tg.send_document(lan.id, b"%PDF-1.4 report", filename="report.pdf")
    assert sent.document.file_name == "report.pdf"
    assert sent.document.mime_type == "application/pdf"
    file = await tg.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 report"
    assert sb.calls[-2].params["document"] == {"upload": "report.pdf", "size": 15}


async def test_file_download_needs_the_token_and_a_known_path(sb, tg: telegram.Bot, raw, lan):
    photo = await tg.send_photo(lan.id, sample_png())
    _, answer = await raw("getFile", file_id=photo.photo[-1].file_id)
    path = answer["result"]["file_path"]
    assert path.startswith("photos/")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sb.port}") as client:
        assert (await client.get(f"/file/bot{TOKEN}/{path}")).content.startswith(b"\x89PNG")
        assert (await client.get(f"/file/bot123:WRONG/{path}")).status_code == 401
        assert (await client.get(f"/file/bot{TOKEN}/photos/nothing.jpg")).status_code == 404


async def test_calls_are_recorded_with_their_answer(sb, tg: telegram.Bot):
    await tg.get_updates(timeout=0)
    call = sb.calls[-1]
    assert (call.method, call.status, call.ok, call.result) == ("getUpdates", 200, True, [])
    assert sb.errors == []


async def test_the_access_log_stays_off_because_paths_hold_the_token(sb, tg, caplog):
    caplog.set_level("DEBUG", logger="aiohttp.access")
    await tg.get_me()
    assert TOKEN not in caplog.text
