"""Product photos: an upload is checked, scaled once and stored as WebP beside a list thumbnail.

Pages never resize on the fly: the storefront's lists load the small square, the product page the
larger picture. File names are the content's hash, so a new photo is a new URL and every URL can be
cached for good (docs/store_pages.md)."""

import hashlib
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from o2o.catalog.models import Product
from o2o.core.errors import DomainError, ErrorCode

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # decompression bombs are refused before decoding
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
PHOTO_SIDE = 960
THUMBNAIL_SIDE = 240


def read_photo(upload) -> Image.Image:
    """The uploaded picture, upright, or DomainError(INVALID) saying what is wrong with it."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise DomainError(ErrorCode.INVALID, "the photo is larger than 8 MB", field="image")
    try:
        picture = Image.open(upload)
        if picture.format not in ACCEPTED_FORMATS:
            raise DomainError(ErrorCode.INVALID, "send a JPEG, PNG or WebP photo", field="image")
        if picture.width * picture.height > MAX_PIXELS:
            raise DomainError(ErrorCode.INVALID, "the photo has too many pixels", field="image")
        picture.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise DomainError(ErrorCode.INVALID, "this file is not a photo", field="image") from exc
    # Phones store the camera's rotation as a tag: apply it so the picture stands upright.
    return ImageOps.exif_transpose(picture).convert("RGB")


def _webp(picture: Image.Image) -> bytes:
    out = BytesIO()
    picture.save(out, "WEBP", quality=82, method=4)
    return out.getvalue()


def _save(field, product: Product, data: bytes, size: str) -> None:
    digest = hashlib.sha256(data).hexdigest()[:16]
    field.save(f"{product.pk}-{digest}-{size}.webp", ContentFile(data), save=False)


def set_product_image(*, product: Product, upload) -> Product:
    """Store `upload` as the product's photo (at most 960 px a side) and its 240 px square thumbnail."""
    picture = read_photo(upload)
    photo = picture.copy()
    photo.thumbnail((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.LANCZOS)
    square = ImageOps.fit(picture, (THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    old = [f.name for f in (product.image, product.thumbnail) if f]
    _save(product.image, product, _webp(photo), "photo")
    _save(product.thumbnail, product, _webp(square), "thumb")
    Product.objects.filter(pk=product.pk).update(image=product.image.name, thumbnail=product.thumbnail.name)
    storage = product.image.storage
    # The previous files go only once the new names are committed; a rollback keeps the old photo.
    transaction.on_commit(lambda: [storage.delete(name) for name in old if name])
    return product
