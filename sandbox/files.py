"""Files the sandbox knows: uploads from the bot, media sent by the simulated users.

Like Telegram, a file_id is only valid if the sandbox issued it, and it is typed: a voice note's
file_id cannot be sent as a photo. Photos get several PhotoSize entries as on Telegram; since the
sandbox has no image library, every size serves the original bytes, only the announced dimensions
differ.
"""

import itertools
import mimetypes
import secrets
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from sandbox.errors import bad_request

# Telegram's own file_id prefixes, so ids look familiar in logs.
_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAA",
    "document": "BQACAgIAAxkBAA",
    "voice": "AwACAgIAAxkBAA",
    "video": "BAACAgIAAxkBAA",
    "audio": "CQACAgIAAxkBAA",
    "sticker": "CAACAgIAAxkBAA",
}
# Telegram's names in "can't use file of type X as Y".
_TYPE_NAMES = {
    "photo": "Photo",
    "document": "Document",
    "voice": "VoiceNote",
    "video": "Video",
    "audio": "Audio",
    "sticker": "Sticker",
}
_FOLDERS = {
    "photo": "photos",
    "document": "documents",
    "voice": "voice",
    "video": "videos",
    "audio": "music",
    "sticker": "stickers",
}
_DEFAULT_MIME = {
    "voice": "audio/ogg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
    "sticker": "image/png",
}
_PHOTO_SIZES = (90, 320, 800, 1280, 2560)  # the longest side of each size Telegram makes
MAX_UPLOAD = 50 * 1024 * 1024
MAX_PHOTO_UPLOAD = 10 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    mime_type: str
    file_name: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0
    performer: str | None = None  # audio: as the sender's client read it from the file's tags
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The object a Message carries for this file (PhotoSize, Document, Voice, ...)."""
        base: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.kind == "photo":
            return {**base, "width": self.width, "height": self.height}
        if self.kind == "sticker":
            return {
                **base,
                "type": "regular",
                "width": self.width,
                "height": self.height,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        described = {**base, "mime_type": self.mime_type}
        if self.file_name:
            described["file_name"] = self.file_name
        if self.kind == "video":
            described.update(width=self.width, height=self.height, duration=self.duration)
        elif self.kind in ("voice", "audio"):
            described["duration"] = self.duration
        if self.kind == "audio":
            described.update(
                {k: v for k, v in (("performer", self.performer), ("title", self.title)) if v}
            )
        return described


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    data: bytes
    content_type: str | None = None


class FileStore:
    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photo_sets: dict[str, list[StoredFile]] = {}
        self._counter = itertools.count(1)

    def get(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def add(
        self, kind: str, data: bytes, *, file_name: str | None = None, **attributes: Any
    ) -> StoredFile:
        """Store one file; photos go through add_photo, which makes the sizes."""
        number = next(self._counter)
        extension = _extension(kind, file_name)
        mime = (mimetypes.guess_type(file_name)[0] if file_name else None) or _DEFAULT_MIME.get(
            kind, "application/octet-stream"
        )
        stored = StoredFile(
            file_id=f"{_ID_PREFIX[kind]}{number:06d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{number:06d}{secrets.token_urlsafe(6)}",
            kind=kind,
            data=data,
            file_path=f"{_FOLDERS[kind]}/file_{number}{extension}",
            mime_type=mime,
            file_name=file_name if kind in ("document", "audio", "video") else None,
            **attributes,
        )
        self._files[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def add_photo(self, data: bytes) -> list[StoredFile]:
        """A photo as Telegram stores it: one PhotoSize per standard size below the original."""
        size = image_size(data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        longest = max(width, height)
        sides = [s for s in _PHOTO_SIZES if s < longest] + [longest]
        sizes = [
            self.add(
                "photo",
                data,
                width=max(1, round(width * side / longest)),
                height=max(1, round(height * side / longest)),
            )
            for side in sides
        ]
        for stored in sizes:
            self._photo_sets[stored.file_id] = sizes
        return sizes

    def resolve(self, file_id: str, kind: str) -> StoredFile:
        """A file the bot re-sends by file_id; unknown ids and other types fail like Telegram."""
        stored = self._files.get(file_id)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(
                f"can't use file of type {_TYPE_NAMES[stored.kind]} as {_TYPE_NAMES[kind]}"
            )
        return stored

    def photo_set(self, file_id: str) -> list[StoredFile]:
        return self._photo_sets[file_id]


def _extension(kind: str, file_name: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1].lower()
    return {
        "photo": ".jpg",
        "voice": ".oga",
        "video": ".mp4",
        "audio": ".mp3",
        "sticker": ".png",
    }.get(kind, "")


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header of a PNG, JPEG, GIF, WebP or BMP image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return width, abs(height)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return None


_sample_colours = itertools.cycle(
    [(46, 125, 50), (21, 101, 192), (198, 40, 40), (249, 168, 37), (106, 27, 154)]
)


def sample_png(width: int = 320, height: int = 240) -> bytes:
    """A small valid PNG with a colour band, different from the previous one, for user photos."""
    colour = next(_sample_colours)
    band = bytes(colour) * width
    white = b"\xff\xff\xff" * width
    rows = b"".join(b"\x00" + (band if y % 40 < 20 else white) for y in range(height))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + tag
            + body
            + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
