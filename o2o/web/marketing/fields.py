"""Form helpers the marketing pages share."""

from django import forms
from django.utils.translation import gettext as _

from o2o.core.ids import MAX_ID


def id_list(text: str) -> tuple[int, ...]:
    """Ids typed by hand, separated by commas or spaces ("3, 7 12"); a form error otherwise."""
    try:
        ids = tuple(int(part) for part in text.replace(",", " ").split())
    except ValueError:
        raise forms.ValidationError(_("Ids are whole numbers separated by commas.")) from None
    if any(not 1 <= i <= MAX_ID for i in ids):
        raise forms.ValidationError(_("Ids are whole numbers separated by commas."))
    return ids
