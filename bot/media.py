"""Files from a tipster, made neutral before officers see them.

A document, video or audio file carries its file name ("Nguyen_Van_A_CCCD.pdf"), and a video or
audio file what the tipster's phone wrote in it: where and when a video was filmed, the phone's
make and model, an audio file's performer, title and cover picture. Officers get the file under a
neutral name (`attachment-1.pdf`) and without that metadata: MP4, MOV, 3GP and M4A (the ISO base
media format) have their metadata boxes blanked and their dates zeroed (below); MP3, OGG and FLAC
lose their tags (mutagen reads and removes them). Other formats are passed on as they are: a
document's own metadata (a PDF's author), or what a picture or a video shows, can still identify
its sender, and the README and the tipster's anonymity note say so.
"""

from __future__ import annotations

import io
import logging
import re
import struct

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


def strip_metadata(data: bytes) -> bytes:
    """A file without what the sender's device recorded about it, where its format is known:
    the ISO media formats (MP4, MOV, 3GP, M4A) and tagged audio (MP3, OGG, FLAC). Anything else,
    and a file too damaged to walk, is returned as it is."""
    if is_iso_media(data):
        try:
            return strip_iso_metadata(data)
        except ValueError as error:
            log.warning("media boxes not readable (%s): passed on as they are", error)
            return data
    if data.startswith((b"ID3", b"OggS", b"fLaC")) or _ends_with_id3v1(data):
        return strip_audio_tags(data)
    return data


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


def _ends_with_id3v1(data: bytes) -> bool:
    """An MP3 may carry only a version-1 tag, at its end, after MPEG frames (sync 0xFFE)."""
    return len(data) >= 130 and data[-128:-125] == b"TAG" and data[0] == 0xFF and data[1] >= 0xE0


# The ISO base media file format (MP4, MOV, 3GP, M4A) is a tree of boxes: a 32-bit size, a type,
# a body. Metadata lives in boxes of its own, in the movie and in each track: `udta` (where it was
# filmed as ©xyz, the phone's make and model, Samsung's and Android's extras), `meta` (Apple's
# keys and values: location, make, model, software; iTunes tags), `uuid` (XMP, camera makers'
# blocks), `Xtra` (Windows' tags). Each is renamed `free` and filled with zeros: players skip
# `free` boxes, and no byte moves, so the offsets that point into the media data stay right
# (removing bytes from the movie box, which often precedes the data, would break them). The
# movie's, each track's and each media's creation and modification times are zeroed too.
# A camera that records its position as a track of its own (action cameras' telemetry) keeps it.
_ISO_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"})
_ISO_METADATA = frozenset({b"udta", b"meta", b"uuid", b"Xtra", b"XMP_", b"ID32"})
_ISO_DATED = frozenset({b"mvhd", b"tkhd", b"mdhd"})  # version, flags, then creation/modification
# In a HEIF picture (HEIC, AVIF) the top-level `meta` box is the picture's own structure.
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"heic", b"heix", b"hevc", b"avif", b"avis"})


def is_iso_media(data: bytes) -> bool:
    """Audio or video in the ISO base media format: it starts with a `ftyp` box."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    size = struct.unpack(">I", data[:4])[0]
    brands = data[8:12] + data[16:size]  # the major brand, then the compatible ones
    return not any(brands[i : i + 4] in _HEIF_BRANDS for i in range(0, len(brands), 4))


def strip_iso_metadata(data: bytes) -> bytes:
    """The same file, as long as it was, with its metadata boxes blanked (see above).
    ValueError if the boxes do not add up."""
    out = bytearray(data)
    _blank_boxes(out, 0, len(out))
    return bytes(out)


def _blank_boxes(out: bytearray, start: int, end: int) -> None:
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", out[position : position + 8])
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if position + 16 > end:
                raise ValueError("truncated box header")
            size, header = struct.unpack(">Q", out[position + 8 : position + 16])[0], 16
        elif size == 0:  # the box runs to the end of its parent
            size = end - position
        if size < header or position + size > end:
            raise ValueError(f"box {kind!r} of {size} bytes does not fit")
        body = position + header
        if kind in _ISO_METADATA:
            out[position + 4 : position + 8] = b"free"
            out[body : position + size] = bytes(position + size - body)
        elif kind in _ISO_CONTAINERS:
            _blank_boxes(out, body, position + size)
        elif kind in _ISO_DATED and body + 4 <= position + size:
            dates = 16 if out[body] == 1 else 8  # version 1: two 64-bit times, else 32-bit
            if body + 4 + dates <= position + size:
                out[body + 4 : body + 4 + dates] = bytes(dates)
        position += size
