"""Replenishment at a store (/manager/replenishment/, docs/replenishment.md): the open proposals
to approve (editing quantities) or reject with a reason, a stock request by hand, alert and target
levels, and the transfer history in and out with its states; at a warehouse, the requests waiting
to be shipped. Writes call o2o.replenishment.services and o2o.inventory.services, as the API does."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.inventory import services as inventory
from o2o.replenishment import selectors, services
from o2o.staff.models import Role
from o2o.web.auth import raise_if_refusal, refusals_as_http, staff_page
from o2o.web.manager.scope import store_scope

ROLES = (Role.STORE_MANAGER, Role.WAREHOUSE_CLERK)
HISTORY = 50
MAX_UNITS = 1_000_000

REFUSALS = {
    ErrorCode.ILLEGAL_TRANSITION: gettext_lazy("This was decided or shipped meanwhile: reload the page."),
    ErrorCode.INSUFFICIENT_STOCK: gettext_lazy("Not enough free stock at the source to ship this transfer."),
    ErrorCode.UNKNOWN_SKU: gettext_lazy("No product has this barcode or code."),
    ErrorCode.IDEMPOTENCY_CONFLICT: gettext_lazy("This form was already used. Reload it."),
    ErrorCode.INVALID: gettext_lazy(
        "Check the numbers: quantities are positive, a target is at least the alert level."
    ),
}


class LevelsForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Barcode or SKU code"), max_length=64)
    alert_level = forms.IntegerField(label=gettext_lazy("Alert level"), min_value=0, max_value=MAX_UNITS)
    target_level = forms.IntegerField(label=gettext_lazy("Target level"), min_value=0, max_value=MAX_UNITS, initial=0)


class RequestForm(forms.Form):
    source = forms.TypedChoiceField(label=gettext_lazy("From"), coerce=int)
    lines = forms.CharField(
        label=gettext_lazy("Products and quantities"),
        help_text=gettext_lazy("One per line: a SKU code or barcode, a space, the quantity."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, sources=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(s.pk, f"{s.code} · {s.name}") for s in sources]

    def clean_lines(self) -> dict[int, int]:
        wanted: dict[int, int] = {}
        for raw in self.cleaned_data["lines"].splitlines():
            if not raw.strip():
                continue
            parts = raw.split()
            if len(parts) != 2 or not parts[1].isdigit() or not 0 < int(parts[1]) <= MAX_UNITS:
                raise forms.ValidationError(_("Write each line as a code, a space and a quantity: %(line)s")
                                            % {"line": raw.strip()[:60]})  # fmt: skip
            try:
                sku = selectors.sku_by_code(parts[0])
            except DomainError as error:
                raise forms.ValidationError(_("No product has this barcode or code: %(code)s")
                                            % {"code": parts[0][:40]}) from error  # fmt: skip
            wanted[sku.pk] = wanted.get(sku.pk, 0) + int(parts[1])
        if not wanted:
            raise forms.ValidationError(_("Add at least one product."))
        return wanted


def _back(scope) -> HttpResponse:
    return redirect(reverse("web:manager-replenishment") + scope.suffix)


def _refused(request: HttpRequest, error: DomainError) -> None:
    raise_if_refusal(error)
    messages.error(request, str(REFUSALS.get(error.code, error.message)))


@staff_page(*ROLES)
def replenishment_page(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    at = scope.location.pk
    actor = request.actor
    may_request = may(actor, Operation.REQUEST_STOCK, location_id=at)
    context = {
        "scope": scope,
        "section": "replenishment",
        "is_manager": actor.has_role(Role.STORE_MANAGER),
        "proposals": list(selectors.proposals_at(location_id=at)),
        "decided": selectors.decided_proposals(location_id=at),
        "transfers": list(selectors.transfers_of(location_id=at)[:HISTORY]),
        "to_ship": list(selectors.requests_from(location_id=at)),
        "may_propose": may(actor, Operation.PROPOSE_REPLENISHMENT, location_id=at) and scope.location.kind == "store",
        "may_decide": may(actor, Operation.APPROVE_REPLENISHMENT, location_id=at),
        "may_ship": may(actor, Operation.SHIP_TRANSFER, location_id=at),
        "levels_form": LevelsForm() if may(actor, Operation.SET_STOCK_LEVELS, location_id=at) else None,
        "request_form": RequestForm(initial={"idempotency_key": new_token()[:40]},
                                    sources=selectors.sources_for(destination=scope.location)) if may_request else None,
        "form_key": new_token()[:40],
    }  # fmt: skip
    return render(request, "web/manager/replenishment.html", context)


@require_POST
@staff_page(*ROLES)
@refusals_as_http
def propose(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    try:
        proposals = services.propose_replenishment(actor=request.actor, location_id=scope.location.pk)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("%(count)d products proposed.") % {"count": len(proposals)})
    return _back(scope)


@require_POST
@staff_page(*ROLES)
@refusals_as_http
def approve(request: HttpRequest) -> HttpResponse:
    """The ticked proposals, each with the quantity in its box (empty: the proposed one)."""
    scope = store_scope(request)
    quantities: dict[int, int | None] = {}
    for raw in request.POST.getlist("proposal"):
        if not raw.isdigit():
            continue
        typed = (request.POST.get(f"quantity-{raw}") or "").strip()
        if typed and (not typed.isdigit() or not 0 < int(typed) <= MAX_UNITS):
            messages.error(request, _("Quantities are whole numbers above zero."))
            return _back(scope)
        quantities[int(raw)] = int(typed) if typed else None
    if not quantities:
        messages.error(request, _("Tick the proposals to approve."))
        return _back(scope)
    key = (request.POST.get("idempotency_key") or "")[:80] or None
    try:
        transfer_ids = services.approve_proposals(actor=request.actor, location_id=scope.location.pk,
                                                  quantities=quantities, idempotency_key=key)  # fmt: skip
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Approved: %(count)d transfers requested.") % {"count": len(transfer_ids)})
    return _back(scope)


@require_POST
@staff_page(*ROLES)
@refusals_as_http
def reject(request: HttpRequest, proposal_id: int) -> HttpResponse:
    scope = store_scope(request)
    proposal = selectors.proposal_for(actor=request.actor, proposal_id=proposal_id)
    if proposal.location_id != scope.location.pk:
        raise DomainError(ErrorCode.NOT_FOUND, "proposal not found")
    reason = (request.POST.get("reason") or "").strip()[:255]
    if not reason:
        messages.error(request, _("Say why the proposal is rejected."))
        return _back(scope)
    try:
        services.reject_proposal(actor=request.actor, proposal_id=proposal_id, reason=reason)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Proposal rejected."))
    return _back(scope)


@require_POST
@staff_page(*ROLES)
@refusals_as_http
def request_stock(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    form = RequestForm(request.POST, sources=selectors.sources_for(destination=scope.location))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(scope)
    try:
        transfer = inventory.request_transfer(actor=request.actor, source_id=form.cleaned_data["source"],
                                              destination_id=scope.location.pk, lines=form.cleaned_data["lines"],
                                              reference="by hand",
                                              idempotency_key=form.cleaned_data["idempotency_key"])  # fmt: skip
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Transfer #%(number)d requested.") % {"number": transfer.id})
    return _back(scope)


@require_POST
@staff_page(*ROLES)
@refusals_as_http
def set_levels(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    form = LevelsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Levels are whole numbers from zero."))
        return _back(scope)
    try:
        sku = selectors.sku_by_code(form.cleaned_data["code"])
        inventory.set_stock_levels(actor=request.actor, location_id=scope.location.pk, sku_id=sku.pk,
                                   alert_level=form.cleaned_data["alert_level"],
                                   target_level=form.cleaned_data["target_level"])  # fmt: skip
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Levels of %(sku)s saved.") % {"sku": sku.code})
    return _back(scope)


@require_POST
@staff_page(*ROLES)
@refusals_as_http
def ship(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """The source ships a requested transfer by hand."""
    scope = store_scope(request)
    key = (request.POST.get("idempotency_key") or "")[:80] or None
    try:
        inventory.ship_transfer(actor=request.actor, transfer_id=transfer_id, idempotency_key=key)
    except DomainError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Transfer #%(number)d shipped.") % {"number": transfer_id})
    return _back(scope)
