from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.core.errors import DomainError, ErrorCode


class JoinForm(forms.Form):
    """Step 1 sends a code to the phone; step 2 (with the code) proves it and joins."""

    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    marketing_consent = forms.BooleanField(label=gettext_lazy("Send me offers and news"), required=False)
    ref = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)


class JoinCodeForm(JoinForm):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def code_error(error: DomainError, *, step_two: bool) -> tuple[str | None, str]:
    """The form error for a refused phone or code, the same on the sign-in and the join pages."""
    if error.code == ErrorCode.INVALID_PHONE:
        return "phone", _("Enter a valid mobile phone number.")
    if error.code == ErrorCode.INVALID_CODE:
        return "code", _("The code is wrong or has expired.")
    if error.code == ErrorCode.RATE_LIMITED:
        minutes = -(-int(error.extra.get("retry_after", 60)) // 60)
        if step_two:
            return None, _("Too many wrong codes. Try again later (in %(minutes)s min).") % {"minutes": minutes}
        return None, _("Too many codes were requested. Try again later (in %(minutes)s min).") % {"minutes": minutes}
    raise error
