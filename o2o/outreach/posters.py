"""The share link as a QR code (SVG) and as a poster (PNG) to post in WeChat moments and chats.

A poster is a fixed 750 x 1100 image (bounded size whatever the text), drawn with a CJK font
when the machine has one (Noto Sans CJK, WenQuanYi) and Pillow's own font otherwise."""

import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 750, 1100
QR_SIZE = 360
MARGIN = 56
INK = (33, 33, 33)
ACCENT = (200, 40, 40)
MUTED = (110, 110, 110)
PAPER = (255, 255, 255)
BAND = (250, 240, 230)

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def qr_svg(url: str) -> bytes:
    """The link as an SVG QR code."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=2)
    return buffer.getvalue()


@dataclass(frozen=True)
class PosterText:
    headline: str  # the product or the store
    price: Decimal | None  # a product poster's share-link price
    detail: str  # a store's address, or the product's store
    employee_name: str
    employee_title: str
    caption: str  # "scan to shop" in the reader's language


@cache
def _font_path() -> str | None:
    return next((path for path in FONT_CANDIDATES if Path(path).is_file()), None)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_path()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def _wrapped(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
    """The text in at most `max_lines` lines that fit the width (cut with an ellipsis); broken
    character by character, since Chinese has no spaces."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and draw.textlength(current + char, font=font) > width:
            lines.append(current)
            current = char
        else:
            current += char
    lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return [line for line in lines if line]


def poster_png(url: str, text: PosterText) -> bytes:
    """The poster: headline, price or address, the employee's name and title, and the QR of `url`."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 300), fill=BAND)
    inner = WIDTH - 2 * MARGIN
    y = 70
    big = _font(52)
    for line in _wrapped(draw, text.headline, big, inner, 2):
        draw.text((MARGIN, y), line, font=big, fill=INK)
        y += 66
    if text.price is not None:
        draw.text((MARGIN, y + 10), f"¥{text.price:.2f}", font=_font(64), fill=ACCENT)
    else:
        small = _font(30)
        for line in _wrapped(draw, text.detail, small, inner, 2):
            draw.text((MARGIN, y + 10), line, font=small, fill=MUTED)
            y += 40
    qr = _qr_image(url)
    top = 360
    image.paste(qr, ((WIDTH - QR_SIZE) // 2, top))
    caption = _font(30)
    draw.text((WIDTH // 2, top + QR_SIZE + 40), text.caption, font=caption, fill=MUTED, anchor="mt")
    name = _font(40)
    who = text.employee_name if not text.employee_title else f"{text.employee_name} · {text.employee_title}"
    for i, line in enumerate(_wrapped(draw, who, name, inner, 2)):
        draw.text((WIDTH // 2, top + QR_SIZE + 120 + i * 52), line, font=name, fill=INK, anchor="mt")
    if text.price is not None and text.detail:
        for i, line in enumerate(_wrapped(draw, text.detail, caption, inner, 2)):
            draw.text((WIDTH // 2, HEIGHT - 110 + i * 40), line, font=caption, fill=MUTED, anchor="mt")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _qr_image(url: str) -> Image.Image:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=10, border=2)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB").resize((QR_SIZE, QR_SIZE), Image.Resampling.NEAREST)
