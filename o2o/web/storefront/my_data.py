"""The customer's "my data" page: download my data, marketing consent, delete my account.

Each action is a POST with the CSRF token, calling the same privacy services as the API."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ratelimits import client_address
from o2o.members.forms import code_error
from o2o.members.phones import mask_phone
from o2o.privacy import selectors
from o2o.privacy import services as privacy
from o2o.privacy.exports import export_download
from o2o.web.auth import member_page, sign_out_member
from o2o.web.storefront.pages import render_shop

VIA = "web"
T = "web/storefront/my_data.html"


class ConsentForm(forms.Form):
    given = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")


class DeletionForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    confirm = forms.BooleanField(label=gettext_lazy("I understand that deleting my account cannot be undone."))


def _page(request: HttpRequest, *, status: int = 200, deletion_form: DeletionForm | None = None) -> HttpResponse:
    context = {
        "consent": selectors.consent_state(actor=request.actor),
        "blockers": selectors.deletion_blockers(actor=request.actor),
        "deletion_form": deletion_form,
        "masked_phone": mask_phone(request.member.phone),
    }
    return render_shop(request, T, context, nav="my-data", status=status)


def _refused(request: HttpRequest, error: DomainError, *, deletion_form: DeletionForm | None = None) -> HttpResponse:
    """A refusal shown on the page with the status the API would give."""
    if error.code == ErrorCode.RATE_LIMITED:
        minutes = -(-int(error.extra.get("retry_after", 60)) // 60)
        messages.error(request, _("Too many tries. Try again later (in %(minutes)s min).") % {"minutes": minutes})
    elif error.code == ErrorCode.ACCOUNT_HAS_OPEN_BUSINESS:
        messages.error(request, _("Your account cannot be deleted yet; see below what to finish first."))
    else:
        raise error
    return _page(request, status=error.status, deletion_form=deletion_form)


@member_page
def my_data(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@member_page
def download(request: HttpRequest) -> HttpResponse:
    """The JSON file of everything we keep about the member (the same as the API's export)."""
    try:
        data = privacy.export_my_data(actor=request.actor, via=VIA)
    except DomainError as error:
        return _refused(request, error)
    return export_download(data, today=timezone.localdate())


@require_POST
@member_page
def consent(request: HttpRequest) -> HttpResponse:
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether you want offers and news."))
        return _page(request, status=422)
    _member, changed = privacy.set_marketing_consent(actor=request.actor, given=form.cleaned_data["given"], source=VIA)
    if changed:
        given = form.cleaned_data["given"]
        messages.success(request, _("You will get offers and news.") if given else _("You will no longer get offers."))
    return redirect("web:shop-my-data")


@require_POST
@member_page
def deletion_code(request: HttpRequest) -> HttpResponse:
    """Step 1 of deleting: a code to the phone (refused while something stands in the way)."""
    try:
        privacy.send_deletion_code(actor=request.actor, client=client_address(request))
    except DomainError as error:
        return _refused(request, error)
    messages.info(request, _("We sent a code to %(phone)s.") % {"phone": mask_phone(request.member.phone)})
    return _page(request, deletion_form=DeletionForm())


@require_POST
@member_page
def delete_account(request: HttpRequest) -> HttpResponse:
    """Step 2: the code and the confirmation delete the account; this browser is signed out."""
    form = DeletionForm(request.POST)
    if not form.is_valid():
        return _page(request, status=422, deletion_form=form)
    try:
        privacy.delete_my_account(
            actor=request.actor, code=form.cleaned_data["code"], via=VIA, client=client_address(request)
        )
    except DomainError as error:
        if error.code in (ErrorCode.INVALID_CODE, ErrorCode.INVALID_PHONE):
            form.add_error(*code_error(error, step_two=True))
            return _page(request, status=422, deletion_form=form)
        return _refused(request, error, deletion_form=form)
    sign_out_member(request)
    request.session.flush()
    request.member = None  # the page around it shows nobody signed in
    return render_shop(request, "web/storefront/account_deleted.html")


# Included under shop/my-data/ by storefront/urls.py.
urlpatterns = [
    path("", my_data, name="shop-my-data"),
    path("download/", download, name="shop-my-data-download"),
    path("consent/", consent, name="shop-my-data-consent"),
    path("delete/code/", deletion_code, name="shop-my-data-delete-code"),
    path("delete/", delete_account, name="shop-my-data-delete"),
]
