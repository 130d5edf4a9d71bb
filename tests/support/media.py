"""A video as a phone films it: where, when and with what, written into its MP4 boxes."""

from __future__ import annotations

import struct

PLACE = b"+11.9404+108.4583/"  # ISO 6709, as a phone writes the position it filmed at
PHONE = b"Samsung SM-A125F"
FILMED_AT = 3_880_000_000  # seconds since 1904, the MP4 epoch: a day in 2026
MEDIA_DATA = bytes(range(256)) * 4  # the frames: must reach officers byte for byte


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, body: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + body)


def filmed_mp4() -> bytes:
    """ftyp, then the movie (with its metadata in every place phones put it), then the frames,
    which the sample table points at by their offset in the file."""
    movie_times = struct.pack(">II", FILMED_AT, FILMED_AT)
    track_times = struct.pack(">QQ", FILMED_AT, FILMED_AT)  # version 1: 64-bit times
    mvhd = full_box(b"mvhd", 0, movie_times + struct.pack(">II", 600, 600) + bytes(80))
    tkhd = full_box(b"tkhd", 1, track_times + bytes(72))
    mdhd = full_box(b"mdhd", 0, movie_times + struct.pack(">II", 600, 600) + bytes(4))
    hdlr = full_box(b"hdlr", 0, bytes(4) + b"vide" + bytes(13))
    udta = box(b"udta", box(b"\xa9xyz", struct.pack(">HH", len(PLACE), 0) + PLACE))
    apple_keys = full_box(
        b"keys", 0, struct.pack(">I", 1) + box(b"mdta", b"com.apple.quicktime.model")
    )
    apple_values = box(b"ilst", box(struct.pack(">I", 1), box(b"data", bytes(8) + PHONE)))
    meta = full_box(
        b"meta", 0, full_box(b"hdlr", 0, bytes(4) + b"mdta" + bytes(13)) + apple_keys + apple_values
    )
    xmp = box(
        b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + b"<exif:GPSLatitude>11,56.4N"
    )
    ftyp = box(b"ftyp", b"isom" + bytes(4) + b"isomiso2avc1mp41")

    def movie(data_offset: int) -> bytes:
        stco = full_box(b"stco", 0, struct.pack(">II", 1, data_offset))
        stbl = box(b"stbl", stco)
        minf = box(b"minf", stbl)
        trak = box(
            b"trak", tkhd + box(b"mdia", mdhd + hdlr + minf) + box(b"udta", box(b"\xa9mak", PHONE))
        )
        return box(b"moov", mvhd + trak + udta + meta)

    head = ftyp + xmp
    moov_size = len(movie(0))
    data_offset = len(head) + moov_size + 8  # past the mdat box's header
    return head + movie(data_offset) + box(b"mdat", MEDIA_DATA)


def data_offset_in(mp4: bytes) -> int:
    """Where the sample table says the frames begin."""
    at = mp4.index(b"stco") + 4 + 4 + 4  # type, version and flags, entry count
    return struct.unpack(">I", mp4[at : at + 4])[0]
