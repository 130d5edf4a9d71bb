"""Files from a tipster, made neutral before officers see them.

A document, video or audio file carries its file name ("Nguyen_Van_A_CCCD.pdf"), and an audio
file its tags (performer, title, cover picture), all chosen on the tipster's phone: officers get
the file under a neutral name (`attachment-1.pdf`) and an audio file without its tags (MP3, M4A,
OGG, FLAC: mutagen reads and removes them). Nothing else is changed: a photo or a document can
still identify its sender (faces, places, a document's own metadata), and so can a video's
container metadata (a phone may record where it was filmed); the README and the tipster's
anonymity note say so.
"""

from __future__ import annotations

import io
import logging
import re

import mutagen
from mutagen.flac import FLAC

log = logging.getLogger(__name__)

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
    """An audio file without its tags: an MP3's ID3 (below), then whatever tags mutagen finds
    in the format it recognises (M4A's iTunes atoms, OGG's and FLAC's Vorbis comments, FLAC's
    pictures). A file mutagen cannot read is returned without its ID3 only."""
    data = strip_id3(data)
    buffer = io.BytesIO(data)
    try:
        audio = mutagen.File(buffer)
        if audio is None:
            return data
        if isinstance(audio, FLAC) and audio.pictures:
            audio.clear_pictures()
            buffer.seek(0)
            audio.save(buffer)
        if audio.tags is not None:
            buffer.seek(0)
            audio.delete(buffer)
    except (mutagen.MutagenError, ValueError, EOFError) as error:
        log.warning("audio tags not readable (%s): passed on as they are", type(error).__name__)
        return data
    return buffer.getvalue()


def strip_id3(data: bytes) -> bytes:
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
