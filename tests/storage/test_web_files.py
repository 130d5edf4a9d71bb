from storage import drafts, outbox, web_files
from storage.web_files import WebFile


async def test_files_nothing_names_are_purged(db):
    for name in ("in-draft", "in-outbox", "orphan"):
        await web_files.add(db, WebFile(f"web-{name}", "photo", "photo.jpg", b"\xff\xd8jpeg"))
    await drafts.save(
        db, "p" * 64, "attachments", {"attachments": [["photo", "web-in-draft", "x"]]}, ttl=60
    )
    await outbox.enqueue(
        db, "staff_answer_media", {"kind": "photo", "file_id": "web-in-outbox", "tip_id": 1},
        chat_id=7, dedupe_key="k",
    )  # fmt: skip
    assert await web_files.purge_unreferenced(db) == 1
    assert await web_files.get(db, "web-orphan") is None
    assert (await web_files.get(db, "web-in-draft")).data == b"\xff\xd8jpeg"
    assert await web_files.get(db, "web-in-outbox") is not None
