"""Files from a tipster, made neutral before officers see them.

A document, video or audio file carries its file name ("Nguyen_Van_A_CCCD.pdf"), and an MP3 its
tags (performer, title), all chosen on the tipster's phone: officers get the file under a
neutral name (`attachment-1.pdf`) and an MP3 without its tags. The content itself is not
changed: a photo or a document can still identify its sender (faces, places, a document's own
metadata), and the README says so.
"""

from __future__ import annotations

import re

NAMED_KINDS = frozenset({"document", "video", "audio"})  # the kinds Telegram keeps a name for
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")
_DEFAULT_EXTENSION = {"document": "bin", "video": "mp4", "audio": "mp3"}


def neutral_name(kind: str, number: int, file_path: str | None) -> str:
    """`attachment-<number>.<extension>`, the extension from Telegram's own path of the file
    (which Telegram names, not the sender)."""
    found = _EXTENSION.search(file_path or "")
    extension = found[1].lower() if found else _DEFAULT_EXTENSION.get(kind, "bin")
    return f"attachment-{number}.{extension}"


def strip_audio_tags(data: bytes) -> bytes:
    """An MP3 without its ID3 tags: version 2 at the start (several may follow one another),
    version 1 and "enhanced" TAG+ at the end. Other formats are returned as they are."""
    while data.startswith(b"ID3") and len(data) >= 10:
        size = 0
        for byte in data[6:10]:
            size = (size << 7) | (byte & 0x7F)  # "synchsafe": 7 bits per byte
        footer = 10 if data[5] & 0x10 else 0
        data = data[10 + size + footer :]
    if len(data) >= 128 and data[-128:-125] == b"TAG":
        data = data[:-128]
        if len(data) >= 227 and data[-227:-223] == b"TAG+":
            data = data[:-227]
    return data
