"""An article's body as safe HTML: plain text with a little markdown (headings `#`, `##`, lists
`- `, numbered lists `1. `, **bold**, paragraphs by blank lines). Everything is HTML-escaped
first, so no markup written by an author reaches the page."""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_BULLET = re.compile(r"^[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\d{1,3}[.)、]\s*(.*)$")


def _inline(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", escape(text))


def render_body(body: str) -> SafeString:
    html: list[str] = []
    open_list: str | None = None
    paragraph: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            html.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()

    def close_list() -> None:
        nonlocal open_list
        if open_list:
            html.append(f"</{open_list}>")
            open_list = None

    for raw in body.splitlines():
        line = raw.strip()
        heading, bullet, numbered = _HEADING.match(line), _BULLET.match(line), _NUMBERED.match(line)
        if not line or heading:
            flush_paragraph()
            close_list()
            if heading:
                level = len(heading.group(1)) + 2  # h3..h5 inside the page
                html.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif bullet or numbered:
            flush_paragraph()
            kind = "ul" if bullet else "ol"
            if open_list != kind:
                close_list()
                html.append(f"<{kind}>")
                open_list = kind
            html.append(f"<li>{_inline((bullet or numbered).group(1))}</li>")
        else:
            close_list()
            paragraph.append(line)
    flush_paragraph()
    close_list()
    return mark_safe("\n".join(html))  # noqa: S308 - every piece of text went through escape()
