"""Audio files reach officers without the tags the tipster's phone wrote in them: M4A, OGG and
FLAC as well as MP3 (names, titles, a FLAC's cover picture)."""

from __future__ import annotations

import io
import struct

import mutagen
import pytest
from mutagen.flac import FLAC, Picture
from mutagen.ogg import OggPage

from bot.media import strip_audio_tags

NAME = "Nguyen Thi Lan"


def atom(name: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + name + body


def m4a() -> bytes:
    """A minimal M4A: ftyp, a movie with one sound track, its (silent) data."""
    mvhd = atom(b"mvhd", bytes(12) + struct.pack(">II", 1000, 1000) + bytes(80))
    mdhd = atom(b"mdhd", bytes(12) + struct.pack(">II", 44100, 44100) + bytes(4))
    hdlr = atom(b"hdlr", bytes(8) + b"soun" + bytes(13))
    moov = atom(b"moov", mvhd + atom(b"trak", atom(b"mdia", mdhd + hdlr)))
    return atom(b"ftyp", b"M4A \x00\x00\x00\x00M4A isom") + moov + atom(b"mdat", bytes(100))


def ogg_opus() -> bytes:
    """A minimal OGG Opus stream: its head, its (empty) tags, one page of sound."""
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    pages = []
    for number, (packet, position) in enumerate([(head, 0), (tags, 0), (bytes(100), 48000)]):
        page = OggPage()
        page.serial, page.sequence, page.position = 1, number, position
        page.first, page.last = number == 0, number == 2
        page.packets = [packet]
        pages.append(page.write())
    return b"".join(pages)


def flac() -> bytes:
    """A minimal FLAC: its stream info (44.1 kHz, stereo, 16 bits), then a frame's start."""
    sizes = struct.pack(">HH", 4096, 4096) + bytes(6)
    layout = (44100 << 44) | (1 << 41) | (15 << 36) | 44100
    info = sizes + layout.to_bytes(8, "big") + bytes(16)
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info + b"\xff\xf8" + bytes(200)


def tagged(data: bytes, key: str) -> bytes:
    buffer = io.BytesIO(data)
    audio = mutagen.File(buffer)
    assert audio is not None
    if audio.tags is None:
        audio.add_tags()
    audio[key] = NAME
    if isinstance(audio, FLAC):
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, "image/jpeg", b"\xff\xd8 " + NAME.encode()
        audio.add_picture(picture)
    buffer.seek(0)
    audio.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "key"), [(m4a, "\xa9ART"), (ogg_opus, "artist"), (flac, "artist")]
)
def test_tags_are_removed_and_the_sound_kept(make, key):
    data = tagged(make(), key)
    assert NAME.encode() in data
    stripped = strip_audio_tags(data)
    assert NAME.encode() not in stripped
    audio = mutagen.File(io.BytesIO(stripped))
    assert audio is not None and not audio.tags  # still that format, nothing in its tags
    assert stripped.endswith(bytes(100))  # the sound data is untouched


def test_what_mutagen_cannot_read_passes_as_it_is():
    for data in (b"OggS" + bytes(10), b"\x00" * 50, b"fLaC", b""):
        assert strip_audio_tags(data) == data
