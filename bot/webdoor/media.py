"""What a web upload becomes before anyone stores or sees it.

Telegram strips a photo's metadata when it is sent as a photo; a browser upload keeps it all:
the GPS position in EXIF, the camera's serial number, the editing software, the owner's name.
Every image (sent as a photo or as a file) is therefore decoded and encoded again as a new JPEG
with Pillow, which writes none of it: no EXIF, no XMP, no ICC profile, no comments. The picture is
turned upright first, since its orientation was metadata too. Videos and audio lose what the
device wrote in them (bot/media.py: where a video was filmed, the phone's model, an audio file's
tags); other files keep their content (a PDF's own author field cannot be cleaned generically:
the page says so). Every file gets a neutral name.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.media import strip_metadata
from bot.runtime import Runtime
from storage import web_files
from storage.web_files import WebFile as WebFile

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo a bot uploads
MAX_FILE_BYTES = 50 * 1024 * 1024  # and for any other file
MAX_PIXELS = 40_000_000  # a decompression bomb stops here, before it is decoded
MAX_SIDE = 2560  # larger pictures are scaled down: officers read them on phones
# Extensions a neutral name keeps, so that the officer's phone knows how to open the file.
KNOWN_EXTENSIONS = frozenset(
    [
        "pdf",
        "txt",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "ods",
        "csv",
        "zip",
        "mp3",
        "m4a",
        "ogg",
        "oga",
        "wav",
        "mp4",
        "mov",
        "webm",
        "3gp",
    ]
)


class Rejected(Exception):
    """Not a file the door takes; the message says why, for the page."""


@dataclass(frozen=True)
class Cleaned:
    file: WebFile
    width: int = 0
    height: int = 0


FILE_ID_PREFIX = "web-"  # a web upload's file id: never one of Telegram's


def new_file_id() -> str:
    return FILE_ID_PREFIX + secrets.token_urlsafe(18)


def is_web_file(file_id: str) -> bool:
    return file_id.startswith(FILE_ID_PREFIX)


def clean_upload(data: bytes, name: str | None) -> Cleaned:
    """An image re-encoded without metadata, or any other file under a neutral name."""
    if not data:
        raise Rejected("empty file")
    image = _clean_image(data)
    if image is not None:
        jpeg, width, height = image
        return Cleaned(WebFile(new_file_id(), "photo", "photo.jpg", jpeg), width, height)
    if len(data) > MAX_FILE_BYTES:
        raise Rejected("file too large")
    extension = (name or "").rpartition(".")[2].lower() if "." in (name or "") else ""
    neutral = f"document.{extension}" if extension in KNOWN_EXTENSIONS else "document.bin"
    return Cleaned(WebFile(new_file_id(), "document", neutral, strip_metadata(data)))


def _clean_image(data: bytes) -> tuple[bytes, int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as source:
            if source.width * source.height > MAX_PIXELS:
                raise Rejected("picture too large")
            if len(data) > MAX_PHOTO_BYTES:
                raise Rejected("photo too large")
            source.load()
            picture = ImageOps.exif_transpose(source)
            picture = picture.convert("RGB")
    except UnidentifiedImageError:
        return None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise Rejected("damaged picture") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # A fresh image carries no info: Pillow writes EXIF, ICC or comments only when asked to.
    picture.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue(), picture.width, picture.height


async def uploaded(runtime: Runtime, file_id: str) -> WebFile | None:
    """A web upload as the door kept it (cleaned, neutrally named); None once it was deleted."""
    return await web_files.get(runtime.db, file_id)
