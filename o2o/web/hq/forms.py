from django import forms
from django.utils.translation import gettext_lazy as _

from o2o.analytics.selectors import Period

PERIOD_LABELS = {
    Period.TODAY: _("Today"),
    Period.LAST_7_DAYS: _("7 days"),
    Period.LAST_30_DAYS: _("30 days"),
}


class PeriodForm(forms.Form):
    period = forms.ChoiceField(required=False, choices=list(PERIOD_LABELS.items()))

    def chosen_period(self) -> Period:
        return Period((self.cleaned_data.get("period") if self.is_valid() else None) or Period.TODAY)
