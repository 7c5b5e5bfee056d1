from django import forms
from django.utils.translation import gettext_lazy as _


class JoinForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone"), max_length=32, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
    )
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    marketing_consent = forms.BooleanField(label=_("Send me offers and news"), required=False)
    ref = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)
