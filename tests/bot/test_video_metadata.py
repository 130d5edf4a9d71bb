"""Videos reach officers without what the phone wrote in them: where and when it was filmed and
with what phone. The file stays playable: same length, same frames at the same offsets."""

from __future__ import annotations

import io
import struct

import mutagen
from mutagen.mp4 import MP4

from bot.media import is_iso_media, strip_iso_metadata, strip_metadata
from bot.webdoor.media import clean_upload
from tests.bot.test_audio_tags import m4a, tagged
from tests.bot.test_media import id3v2
from tests.support.media import (
    FILMED_AT,
    MEDIA_DATA,
    PHONE,
    PLACE,
    box,
    data_offset_in,
    filmed_mp4,
)

TRACES = (PLACE, PHONE, b"GPSLatitude", b"com.apple.quicktime", struct.pack(">I", FILMED_AT))


def test_a_filmed_video_loses_place_phone_and_dates_and_keeps_its_frames():
    video = filmed_mp4()
    for trace in TRACES:
        assert trace in video, trace
    clean = strip_metadata(video)
    for trace in TRACES:
        assert trace not in clean, trace
    assert len(clean) == len(video)
    offset = data_offset_in(clean)
    assert offset == data_offset_in(video)
    assert clean[offset : offset + len(MEDIA_DATA)] == MEDIA_DATA
    assert MP4(io.BytesIO(clean)).info is not None  # a reader still finds its movie


def test_an_itunes_tagged_m4a_loses_its_tags():
    song = tagged(m4a(), "\xa9ART")
    assert b"Nguyen Thi Lan" in song
    clean = strip_metadata(song)
    assert b"Nguyen Thi Lan" not in clean and len(clean) == len(song)
    audio = mutagen.File(io.BytesIO(clean))
    assert audio is not None and not audio.tags


def test_large_sizes_and_a_box_to_the_end_of_the_file():
    udta = box(b"udta", PLACE)
    large = struct.pack(">I", 1) + b"moov" + struct.pack(">Q", 16 + len(udta)) + udta
    to_the_end = struct.pack(">I", 0) + b"mdat" + MEDIA_DATA
    video = box(b"ftyp", b"mp42" + bytes(4)) + large + to_the_end
    clean = strip_iso_metadata(video)
    assert PLACE not in clean and clean.endswith(MEDIA_DATA) and len(clean) == len(video)


def test_what_cannot_be_walked_or_is_no_video_passes_as_it_is():
    video = filmed_mp4()
    at = video.index(b"moov") - 4
    broken = video[:at] + struct.pack(">I", 10**6) + video[at + 4 :]  # longer than the file
    assert strip_metadata(broken) == broken
    heic = box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + box(b"meta", bytes(40))
    assert not is_iso_media(heic) and strip_metadata(heic) == heic  # its meta is the picture
    pdf = b"%PDF-1.4 Nguyen Thi Lan" + bytes(200)
    assert strip_metadata(pdf) == pdf
    tail = bytes(300) + b"TAG" + bytes(125)  # ends like an ID3v1 tag, but is no MP3
    assert strip_metadata(tail) == tail


def test_web_door_uploads_lose_it_too():
    cleaned = clean_upload(filmed_mp4(), "VID_20261207_Lan.mp4")
    assert cleaned.file.file_name == "document.mp4"
    for trace in TRACES:
        assert trace not in cleaned.file.data, trace


def test_web_door_audio_uploads_lose_their_tags():
    sound = b"\xff\xfb\x90\x64" + bytes(400)
    cleaned = clean_upload(id3v2((b"TPE1", "Nguyen Thi Lan")) + sound, "Lan.mp3")
    assert cleaned.file.data == sound and cleaned.file.file_name == "document.mp3"
