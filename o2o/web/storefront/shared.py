"""The reader's page of a shared material (/shop/m/<token>/, docs/toolbox.md): the material and
the sharer's card name; the page pings its reading time with HTMX about every 10 s; the reader may
forward it (their own link) or ask, book a visit, sign up for an event. A random cookie tells
readers apart (only its keyed hash is stored). Every rule is in `o2o.toolbox.services`."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ratelimits import client_address
from o2o.core.site import absolute_url
from o2o.core.visitors import keep_visitor_key, visitor_key
from o2o.toolbox import selectors, services
from o2o.toolbox.models import InquiryKind
from o2o.web.auth import current_member
from o2o.web.storefront.pages import render_shop

T = "web/storefront/shared/"
READER_COOKIE = "o2o_reader"
READER_COOKIE_AGE = 2 * 365 * 24 * 3600
PING_SECONDS = 10


class InquiryForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("I would like to"), choices=InquiryKind.choices)
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=services.MAX_NAME, required=False)
    phone = forms.CharField(label=gettext_lazy("Mobile phone"), max_length=32)
    message = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=services.MAX_MESSAGE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    preferred_at = forms.DateTimeField(
        label=gettext_lazy("Preferred time (visit or event)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


def _visitor(request: HttpRequest) -> tuple[str, bool]:
    """The reader's key from their cookie, or a fresh one (True: set the cookie)."""
    return visitor_key(request, READER_COOKIE)


def _with_cookie(request: HttpRequest, response: HttpResponse, key: str, fresh: bool) -> HttpResponse:
    if fresh:
        keep_visitor_key(request, response, READER_COOKIE, key, max_age=READER_COOKIE_AGE)
    return response


def _share(token: str):
    try:
        return selectors.live_share(token=token)
    except DomainError as error:
        raise Http404 from error


def _page(request: HttpRequest, share, *, open_id: int | None, form: InquiryForm, status: int = 200, **extra):
    context = {
        "share": share,
        "material": share.material,
        "shared_by": share.employee.display_name,
        "open_id": open_id,
        "ping_seconds": PING_SECONDS,
        "form": form,
        **extra,
    }
    return render_shop(request, f"{T}page.html", context, status=status)


def shared_page(request: HttpRequest, token: str) -> HttpResponse:
    share = _share(token)
    key, fresh = _visitor(request)
    try:
        opened = services.record_open(
            token=token, visitor_key=key, member=current_member(request), client=client_address(request)
        )
        open_id = opened.pk
    except DomainError as error:
        if error.code != ErrorCode.RATE_LIMITED:
            raise Http404 from error
        open_id = None  # too many opens from this address: the page still reads, uncounted
    return _with_cookie(request, _page(request, share, open_id=open_id, form=InquiryForm()), key, fresh)


def _open_id(request: HttpRequest) -> int:
    raw = request.POST.get("open", "")
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise Http404
    return int(raw)


@require_POST
def ping(request: HttpRequest, token: str) -> HttpResponse:
    """Still reading: the time since the open counts (the server measures it)."""
    key, _fresh = _visitor(request)
    try:
        services.record_reading_time(token=token, open_id=_open_id(request), visitor_key=key, seconds=None)
    except DomainError as error:
        raise Http404 from error
    return HttpResponse(status=204)


@require_POST
def forward(request: HttpRequest, token: str) -> HttpResponse:
    """The reader's own link to pass the page on."""
    share = _share(token)
    key, _fresh = _visitor(request)
    open_id = _open_id(request)
    try:
        child = services.forward_share(token=token, open_id=open_id, visitor_key=key)
    except DomainError as error:
        raise Http404 from error
    link = absolute_url(f"/shop/m/{child.token}/", request)
    return _page(request, share, open_id=open_id, form=InquiryForm(), forward_link=link)


@require_POST
def inquire(request: HttpRequest, token: str) -> HttpResponse:
    share = _share(token)
    key, fresh = _visitor(request)
    form = InquiryForm(request.POST)
    open_id = int(request.POST["open"]) if request.POST.get("open", "").isdigit() else None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_inquiry(
                token=token,
                request=services.InquiryIn(kind=data["kind"], phone=data["phone"], name=data["name"],
                                           message=data["message"], preferred_at=data["preferred_at"]),
                visitor_key=key,
                member=current_member(request),
                client=client_address(request),
            )  # fmt: skip
        except DomainError as error:
            if error.code == ErrorCode.NOT_FOUND:
                raise Http404 from error
            form.add_error(None, _problem(error))
        else:
            response = render_shop(request, f"{T}thanks.html", {"shared_by": share.employee.display_name})
            return _with_cookie(request, response, key, fresh)
    return _with_cookie(request, _page(request, share, open_id=open_id, form=form, status=422), key, fresh)


def _problem(error: DomainError) -> str:
    return {
        ErrorCode.INVALID_PHONE: _("This is not a mobile number."),
        ErrorCode.RATE_LIMITED: _("Too many requests. Wait a while, then try again."),
    }.get(error.code, _("Please check the form: a visit or an event needs a time within the next year."))
