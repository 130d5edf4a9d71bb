"""Files reach officers under a neutral name, and MP3s without their tags."""

from __future__ import annotations

from bot.media import neutral_name, strip_audio_tags


def id3v2(*frames: tuple[bytes, str]) -> bytes:
    body = b"".join(
        name + (len(text) + 1).to_bytes(4, "big") + b"\x00\x00" + b"\x00" + text.encode("latin-1")
        for name, text in frames
    )
    size = len(body)
    synchsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x03\x00\x00" + synchsafe + body


def test_the_name_is_neutral_and_keeps_telegrams_extension():
    assert neutral_name("document", 1, "documents/file_12.PDF") == "attachment-1.pdf"
    assert neutral_name("video", 3, "videos/file_4.mov") == "attachment-3.mov"
    assert neutral_name("audio", 2, None) == "attachment-2.mp3"
    assert neutral_name("document", 1, "documents/file_12.<script>") == "attachment-1.bin"


def test_id3_tags_at_both_ends_are_removed():
    sound = b"\xff\xfb\x90\x64" + bytes(400)
    v1 = b"TAG" + b"Nguyen Van A".ljust(30, b"\x00") + bytes(95)
    tagged = id3v2((b"TPE1", "Nguyen Van A"), (b"TIT2", "ghi am")) + sound + v1
    assert strip_audio_tags(tagged) == sound
    assert strip_audio_tags(sound) == sound
    assert strip_audio_tags(b"OggS" + bytes(10)) == b"OggS" + bytes(10)
