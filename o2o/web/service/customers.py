"""The customer 360 page (/service/customers/, docs/customers.md): find a member by phone, then one
page with their orders online and in store, tickets, coupons, follow-up visits, tags and notes.

Everything on the page comes from `o2o.analytics.customer360` (the read model the API serves, a
fixed number of queries); tags and notes are written through the same functions the API calls.
Who may see whom is the read model's: customer service and HQ every member, a store's manager
only their store's customers (anyone else: the same 404 as for a missing member). The phone is
masked until an agent asks for it in full (a POST, `customer360.full_phone`)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.analytics import customer360
from o2o.core.errors import DomainError, ErrorCode
from o2o.members.models import NOTE_MAX_LENGTH, TAG_MAX_LENGTH
from o2o.members.phones import mask_phone
from o2o.staff.models import Role
from o2o.web.auth import refusal_or_message, refusals_as_http, staff_page
from o2o.web.service.desk import form_message, id_or_404

# The 360's readers on the desk: customer service, HQ, and a store's manager and clerks (their store's
# customers); the permission table decides each write.
CUSTOMER_ROLES = (Role.CS_AGENT, Role.HQ, Role.STORE_MANAGER, Role.CLERK)
T = "web/service/customers/"


class PhoneForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, strip=True)


class TagForm(forms.Form):
    tag = forms.CharField(label=gettext_lazy("Tag"), max_length=TAG_MAX_LENGTH, strip=True)


class NoteForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Note"), max_length=NOTE_MAX_LENGTH, strip=True)


# -- the search box --------------------------------------------------------------------------------


@staff_page(*CUSTOMER_ROLES)
@refusals_as_http
def search(request: HttpRequest) -> HttpResponse:
    """?phone= finds a member within the viewer's reach and goes to their page; a phone nobody in
    reach has gets one message, whether the member is missing or another store's."""
    if "phone" not in request.GET:
        return render(request, f"{T}search.html", {"form": PhoneForm(), "not_found": False})
    form = PhoneForm(request.GET)
    if form.is_valid():
        try:
            member = customer360.find_member(actor=request.actor, phone=form.cleaned_data["phone"])
        except DomainError as error:
            if error.code == ErrorCode.NOT_FOUND:
                return render(request, f"{T}search.html", {"form": form, "not_found": True})
            if error.code != ErrorCode.INVALID_PHONE:
                raise
            form.add_error("phone", _("This is not a valid phone number."))
        else:
            return redirect("web:service-customer", member_id=member.pk)
    return render(request, f"{T}search.html", {"form": form, "not_found": False}, status=422)


# -- one member --------------------------------------------------------------------------------------


def _author(user) -> str:
    employee = getattr(user, "employee", None)  # read with the notes (select_related)
    return employee.display_name if employee is not None else user.get_username()


def _page(
    request: HttpRequest, member_id: int, *, full_phone: str = "", error: str = "", status: int = 200, **forms_
) -> HttpResponse:
    view = customer360.customer_360(actor=request.actor, member_id=id_or_404(member_id))
    context = {
        "view": view,
        "member": view.member,
        "totals": view.order_totals,
        "phone": full_phone or mask_phone(view.member.phone),
        "phone_revealed": bool(full_phone),
        "can_reveal": may(request.actor, Operation.VIEW_MEMBER_PHONE) and not full_phone,
        "notes": [{"note": note, "author": _author(note.author)} for note in view.notes],
        "tag_form": forms_.get("tag_form") or TagForm(),
        "note_form": forms_.get("note_form") or NoteForm(),
        "error": error,
    }
    return render(request, f"{T}member.html", context, status=status)


@staff_page(*CUSTOMER_ROLES)
@refusals_as_http
def member_page(request: HttpRequest, member_id: int) -> HttpResponse:
    return _page(request, member_id)


@require_POST
@staff_page(*CUSTOMER_ROLES)
@refusals_as_http
def reveal_phone(request: HttpRequest, member_id: int) -> HttpResponse:
    """The phone in full, for the roles that call customers back (a store's manager: 403)."""
    phone = customer360.full_phone(actor=request.actor, member_id=id_or_404(member_id))
    response = _page(request, member_id, full_phone=phone)
    response["Cache-Control"] = "no-store"
    return response


def _write(request: HttpRequest, member_id: int, form: forms.Form, form_name: str, action, done: str) -> HttpResponse:
    """One POST: the form, then one call of the read model's write; a bad form or a broken rule
    shows the page with the error (422, or 409 for a rule's tag), else back to the page."""
    member_id = id_or_404(member_id)
    if not form.is_valid():
        return _page(request, member_id, error=form_message(form), status=422, **{form_name: form})
    try:
        action(form.cleaned_data)
    except DomainError as error:
        message = refusal_or_message(error)
        status = 409 if error.code == ErrorCode.CONFLICT else 422
        return _page(request, member_id, error=message, status=status, **{form_name: form})
    messages.success(request, done)
    return redirect("web:service-customer", member_id=member_id)


@require_POST
@staff_page(*CUSTOMER_ROLES)
@refusals_as_http
def add_tag(request: HttpRequest, member_id: int) -> HttpResponse:
    def tag(data: dict) -> None:  # a tag the member has already stays as it is (one row)
        customer360.add_tag(actor=request.actor, member_id=member_id, tag=data["tag"])

    return _write(request, member_id, TagForm(request.POST), "tag_form", tag, _("Tag added."))


@require_POST
@staff_page(*CUSTOMER_ROLES)
@refusals_as_http
def remove_tag(request: HttpRequest, member_id: int) -> HttpResponse:
    def untag(data: dict) -> None:
        customer360.member_for(actor=request.actor, member_id=member_id, operation=Operation.TAG_MEMBERS)
        try:
            customer360.remove_tag(actor=request.actor, member_id=member_id, tag=data["tag"])
        except DomainError as error:
            if error.code != ErrorCode.NOT_FOUND:
                raise
            # the member is in reach (checked above): the tag is gone already (a double submit)

    return _write(request, member_id, TagForm(request.POST), "tag_form", untag, _("Tag removed."))


@require_POST
@staff_page(*CUSTOMER_ROLES)
@refusals_as_http
def add_note(request: HttpRequest, member_id: int) -> HttpResponse:
    def note(data: dict) -> None:
        customer360.add_note(actor=request.actor, member_id=member_id, body=data["body"])

    return _write(request, member_id, NoteForm(request.POST), "note_form", note, _("Note added."))
