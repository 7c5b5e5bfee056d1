"""Filling a template: `{placeholder}` fields from a fixed list per kind, nothing else (no
attribute access, no format specs), so HQ's text can never reach into an object."""

import json
import string

from o2o.notifications.defaults import PLACEHOLDERS
from o2o.notifications.models import Channel

SECRET = "{secret}"  # the outbox fills the pickup code in only when it sends (core.messaging)


class TemplateError(ValueError):
    pass


def placeholders_in(body: str) -> set[str]:
    """The field names a body uses; TemplateError for a body that is not a template (a lone brace,
    a format spec or conversion such as {amount:>10} or {name!r})."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise TemplateError(f"not a template: {exc}") from exc
    names = set()
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not name:
            raise TemplateError(f"write placeholders as {{name}} only: {{{name}}}")
        names.add(name)
    return names


def unknown_placeholders(kind: str, body: str) -> list[str]:
    return sorted(placeholders_in(body) - PLACEHOLDERS[kind])


def check_wechat_fields(body: str) -> None:
    for line in body.splitlines():
        field, sep, value = line.partition(":")
        if line.strip() and (not sep or not field.strip().replace("_", "").isalnum()):
            raise TemplateError("a WeChat template has one 'field: text' line per data field")


class _Values(dict):
    """A placeholder without a value here (no voucher yet, say) reads as nothing: a message is
    never the reason a payment fails."""

    def __missing__(self, key: str) -> str:
        return ""


def render(body: str, context: dict[str, str]) -> str:
    return body.format_map(_Values(context))


def wechat_payload(text: str) -> str:
    """The subscription message's data fields as JSON: {"thing2": {"value": "..."}}."""
    data = {}
    for line in text.splitlines():
        field, sep, value = line.partition(":")
        if sep:
            data[field.strip()] = {"value": value.strip()}
    return json.dumps(data, ensure_ascii=False)


def for_channel(channel: str, text: str) -> str:
    return wechat_payload(text) if channel == Channel.WECHAT else text
