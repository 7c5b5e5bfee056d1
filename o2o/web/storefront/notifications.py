"""The member's notification settings: channels (SMS, WeChat, app push; at least one), language,
and the latest messages they were sent. The POST calls the same service as the API."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.core.errors import DomainError
from o2o.notifications import selectors, services
from o2o.notifications.models import Channel, Language
from o2o.web.auth import member_page
from o2o.web.storefront.pages import render_shop

T = "web/storefront/notifications.html"
RECENT = 20


class PreferencesForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Tell me by"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one way to reach you.")},
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the messages"), choices=Language.choices)


def _page(request: HttpRequest, form: PreferencesForm, *, status: int = 200) -> HttpResponse:
    recent = selectors.notifications_of(member_id=request.member.pk)[:RECENT]
    return render_shop(request, T, {"form": form, "recent": recent}, nav="my-data", status=status)


@member_page
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        prefs = selectors.preferences_of(member_id=request.member.pk)
        return _page(request, PreferencesForm(initial={"channels": list(prefs.channels), "language": prefs.language}))
    form = PreferencesForm(request.POST)
    if form.is_valid():
        try:
            services.set_preferences(
                actor=request.actor, channels=form.cleaned_data["channels"], language=form.cleaned_data["language"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("web:shop-notifications")
    return _page(request, form, status=422)


urlpatterns = [path("", settings_page, name="shop-notifications")]
