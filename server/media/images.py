"""Every upload is decoded and re-encoded: what is stored is pixels, never the sender's file.

The format is judged from the content (Pillow's own sniffing, limited to JPEG, PNG, WebP and
HEIC), the size is capped before anything is decoded, and the two stored sizes are new JPEGs
written without EXIF, XMP, GPS or any other metadata, in sRGB, with the orientation the
camera recorded applied to the pixels.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, UnidentifiedImageError

from permissions.text import tr

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
DISPLAY_SIDE = 2048
THUMBNAIL_SIDE = 400
JPEG_QUALITY = 85
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")

# Pillow's decompression-bomb guard: a warning past this many pixels, an error past twice
# as many. We refuse anything past it ourselves, before decoding; the guard stays as the
# backstop for paths that would decode before our check.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

try:  # HEIC from iPhones, through libheif (pillow-heif ships it in its wheels).
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIC = True
except ImportError:  # pragma: no cover - pillow-heif is a dependency; this keeps it optional
    HEIC = False

_SRGB = ImageCms.createProfile("sRGB")


class ImageRejected(ValueError):
    """The upload is not something we store; `code` and `status` say why to the client."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Processed:
    source_format: str
    display: Rendition
    thumbnail: Rendition


def process(data: bytes) -> Processed:
    """The display and thumbnail JPEGs of an uploaded image, or ImageRejected."""
    if len(data) > MAX_BYTES:
        raise ImageRejected("PAYLOAD_TOO_LARGE", 413, tr("L'image dépasse 10 Mo."))
    with warnings.catch_warnings():
        # A DecompressionBombWarning is an error here, whatever the process's filters.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _process(data)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large() from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
            # Truncated or corrupt files fail while decoding, with any of these.
            raise ImageRejected(
                "INVALID_IMAGE", 422, tr("L'image est illisible ou incomplète.")
            ) from error


def _too_large() -> ImageRejected:
    return ImageRejected("IMAGE_TOO_LARGE", 422, tr("L'image dépasse 40 mégapixels."))


def _process(data: bytes) -> Processed:
    try:
        image: Image.Image = Image.open(
            io.BytesIO(data), formats=ACCEPTED_FORMATS if HEIC else None
        )
    except UnidentifiedImageError:
        raise ImageRejected(
            "UNSUPPORTED_MEDIA_TYPE", 415, tr("Formats acceptés : JPEG, PNG, WebP et HEIC.")
        ) from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected(
            "UNSUPPORTED_MEDIA_TYPE", 415, tr("Formats acceptés : JPEG, PNG, WebP et HEIC.")
        )
    width, height = image.size
    # Only the header has been read: a bomb is refused before its pixels exist.
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        raise _too_large()
    source_format = image.format
    # JPEG can decode at 1/2, 1/4 or 1/8 scale directly: less memory and time for a photo
    # far larger than the largest stored size.
    image.draft("RGB", (DISPLAY_SIDE, DISPLAY_SIDE))
    image.load()
    orientation = image.getexif().get(_ORIENTATION)
    icc = image.info.get("icc_profile")
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        transparent = image.mode == "PA" or "transparency" in image.info
        # A CMYK profile does not describe the RGB pixels convert() makes of them.
        icc = icc if image.mode in ("P", "PA") else None
        image = image.convert("RGBA" if transparent else "RGB")
    # Resized first: colour conversion and rotation then work on 4 megapixels at most.
    image.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.LANCZOS)
    image = _to_srgb(image, icc)
    method = _TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
    if method is not None:
        image = image.transpose(method)
    display = _jpeg(image)
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return Processed(source_format, display, _jpeg(image))


_ORIENTATION = 0x0112
# EXIF orientation -> the transposition that puts the pixels upright (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB pixels in sRGB: transparency flattened on white, an embedded colour profile
    (Display P3 on recent phones) converted rather than dropped."""
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            return image  # an unreadable profile: keep the pixels as they are
        if converted is not None:
            image = converted
    return image


def _jpeg(image: Image.Image) -> Rendition:
    # A clean image: nothing of the source's info (EXIF, XMP, comments, profiles) can ride
    # along into the file.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return Rendition(out.getvalue(), clean.width, clean.height)
