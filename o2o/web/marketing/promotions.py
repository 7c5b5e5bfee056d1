"""Marketers' promotion pages: the promotions with their terms and a switch each, a form to create
one of any kind (with a preview of a sample cart before saving), and the overstock clearance
suggestions with a button that prefills a clearance promotion. Writes go through
`o2o.promotions.services`; the clearance ranking reads inventory's stock ledger (`clearance_candidates`:
inventory sits above promotions, so it cannot live in o2o.promotions)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import MAX_ID
from o2o.core.money import CENT
from o2o.inventory.models import MoveKind, StockLevel, StockMove
from o2o.pricing.cart import CartLine
from o2o.promotions import selectors, services
from o2o.promotions.cache import snapshot
from o2o.promotions.models import PRIORITY_MAX, PRIORITY_MIN, ChannelScope, PromotionKind
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.web.auth import staff_page
from o2o.web.marketing.fields import id_list

SHOWN = 200
ROLES = (Role.MARKETER, Role.HQ)


def _pairs(text: str, message: str) -> list[tuple[str, str]]:
    """Lines of "a:b" (one per line or comma-separated)."""
    pairs = []
    for part in text.replace(",", "\n").split():
        left, sep, right = part.partition(":")
        if not sep:
            raise forms.ValidationError(message)
        pairs.append((left, right))
    return pairs


class PromotionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PromotionKind.choices)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    tiers = forms.CharField(
        label=gettext_lazy("Tiers (spend:save, e.g. 100:10, 200:25)"), required=False, max_length=400
    )
    buy_quantity = forms.IntegerField(label=gettext_lazy("Buy N"), min_value=1, max_value=1000, required=False)
    free_quantity = forms.IntegerField(label=gettext_lazy("Get M free"), min_value=1, max_value=1000, required=False)
    bundle = forms.CharField(
        label=gettext_lazy("Bundle (SKU id:quantity, e.g. 12:1, 15:2)"), required=False, max_length=400
    )
    percent = forms.DecimalField(
        label=gettext_lazy("Percent off"), min_value=CENT, max_value=Decimal("99.99"), decimal_places=2,
        required=False,
    )  # fmt: skip
    price = forms.DecimalField(
        label=gettext_lazy("Price (bundle set or timed unit, yuan)"), min_value=0, max_digits=12, decimal_places=2,
        required=False,
    )  # fmt: skip
    per_member_limit = forms.IntegerField(
        label=gettext_lazy("Units per member (timed price)"), min_value=1, max_value=1000, required=False
    )
    channel_scope = forms.ChoiceField(label=gettext_lazy("Channels"), choices=ChannelScope.choices, initial="both")
    store_ids = forms.CharField(label=gettext_lazy("Store ids (empty: all)"), required=False, max_length=2000)
    category_ids = forms.CharField(label=gettext_lazy("Category ids"), required=False, max_length=2000)
    sku_ids = forms.CharField(label=gettext_lazy("SKU ids"), required=False, max_length=2000)
    priority = forms.IntegerField(
        label=gettext_lazy("Priority (lower applies first)"), min_value=PRIORITY_MIN, max_value=PRIORITY_MAX,
        initial=200,
    )  # fmt: skip
    stacks = forms.BooleanField(label=gettext_lazy("Combines with other discounts"), required=False, initial=True)
    campaign_id = forms.IntegerField(label=gettext_lazy("Campaign id"), min_value=1, max_value=MAX_ID, required=False)
    activate = forms.BooleanField(label=gettext_lazy("Switch on at once"), required=False)
    # a sample cart for the preview
    sample = forms.CharField(
        label=gettext_lazy("Sample cart for the preview (SKU id:quantity)"), required=False, max_length=400
    )
    sample_channel = forms.ChoiceField(label=gettext_lazy("Sample channel"), choices=Channel.choices, initial="app")
    sample_store_id = forms.IntegerField(
        label=gettext_lazy("Sample store id"), min_value=1, max_value=MAX_ID, required=False
    )

    def clean_store_ids(self):
        return id_list(self.cleaned_data["store_ids"])

    def clean_category_ids(self):
        return id_list(self.cleaned_data["category_ids"])

    def clean_sku_ids(self):
        return id_list(self.cleaned_data["sku_ids"])

    def clean_tiers(self):
        message = _("Tiers are spend:save pairs of amounts, e.g. 100:10.")
        try:
            return tuple((Decimal(a), Decimal(b)) for a, b in _pairs(self.cleaned_data["tiers"], message))
        except ArithmeticError:
            raise forms.ValidationError(message) from None

    def clean_bundle(self):
        return self._units("bundle")

    def clean_sample(self):
        return self._units("sample")

    def _units(self, name: str) -> tuple[tuple[int, int], ...]:
        message = _("Write SKU id:quantity pairs, e.g. 12:2.")
        try:
            pairs = tuple((int(a), int(b)) for a, b in _pairs(self.cleaned_data[name], message))
        except ValueError:
            raise forms.ValidationError(message) from None
        if any(not (1 <= s <= MAX_ID and 1 <= q <= 1000) for s, q in pairs):
            raise forms.ValidationError(message)
        return pairs

    def spec(self) -> services.PromotionSpec:
        data = self.cleaned_data
        return services.PromotionSpec(
            name=data["name"], kind=data["kind"], starts_at=data["starts_at"], ends_at=data["ends_at"],
            channel_scope=data["channel_scope"], store_ids=data["store_ids"], sku_ids=data["sku_ids"],
            category_ids=data["category_ids"], priority=data["priority"], stacks=data["stacks"],
            campaign_id=data["campaign_id"], tiers=data["tiers"], buy_quantity=data["buy_quantity"],
            free_quantity=data["free_quantity"], bundle=data["bundle"], percent=data["percent"],
            price=data["price"], per_member_limit=data["per_member_limit"],
        )  # fmt: skip


def _forbidden_or_form_error(error: DomainError, form: forms.Form) -> None:
    if error.code == ErrorCode.FORBIDDEN:
        raise PermissionDenied from error
    form.add_error(error.extra.get("field") if error.extra.get("field") in form.fields else None,
                   _("Check the terms: %(message)s") % {"message": error.message})  # fmt: skip


@staff_page(*ROLES)
def promotions(request: HttpRequest) -> HttpResponse:
    """The list, and the form: "Preview" prices the sample cart with the draft, "Create" saves it."""
    form = PromotionForm(request.POST or None, initial=_prefill(request))
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            if "preview" in request.POST:
                preview = services.preview(
                    actor=request.actor, spec=form.spec(),
                    lines=[CartLine(s, q) for s, q in form.cleaned_data["sample"]],
                    channel=form.cleaned_data["sample_channel"], location_id=form.cleaned_data["sample_store_id"],
                )  # fmt: skip
            else:
                created = services.create_promotion(
                    actor=request.actor, spec=form.spec(), activate=form.cleaned_data["activate"]
                )
                messages.success(request, _("Promotion %(id)s created.") % {"id": created.pk})
                return redirect("web:marketing-promotions")
        except DomainError as error:
            _forbidden_or_form_error(error, form)
    status = 422 if request.method == "POST" and (form.errors or not preview) else 200
    try:
        rows = list(selectors.promotions_for(actor=request.actor)[:SHOWN])
    except DomainError as error:
        raise PermissionDenied from error
    listed = [(row, selectors.terms(snapshot(row))) for row in rows]
    context = {"form": form, "promotions": listed, "preview": preview}
    return render(request, "web/marketing/promotions/list.html", context, status=status)


def _prefill(request: HttpRequest) -> dict:
    """A form prefilled from the clearance page's link (GET parameters)."""
    if request.method != "GET" or "kind" not in request.GET:
        return {"starts_at": timezone.localtime().replace(second=0, microsecond=0)}
    wanted = ("name", "kind", "percent", "sku_ids", "store_ids", "channel_scope")
    return {"starts_at": timezone.localtime().replace(second=0, microsecond=0), "priority": 250} | {
        name: request.GET[name][:200] for name in wanted if name in request.GET
    }


@require_POST
@staff_page(*ROLES)
def set_active(request: HttpRequest, promotion_id: int) -> HttpResponse:
    try:
        services.set_active(actor=request.actor, promotion_id=promotion_id, active=request.POST.get("active") == "1")
    except DomainError as error:
        if error.code == ErrorCode.FORBIDDEN:
            raise PermissionDenied from error
        messages.error(request, _("No promotion with this id."))
    return redirect("web:marketing-promotions")


# --- overstock clearance ---------------------------------------------------------------------------

SELL_THROUGH_DAYS = 30
SLOW = Decimal("0.20")  # under a fifth of the stock sold in 30 days
OLD_DAYS = 30


@dataclass(frozen=True)
class Candidate:
    location_id: int
    location_name: str
    sku_id: int
    sku_name: str
    category_id: int
    on_hand: int
    sold_30_days: int
    last_receipt: datetime | None
    age_days: int | None  # days since the last receipt (None: never received here)
    sell_through: Decimal  # sold / (sold + on hand) over the last 30 days
    percent: int  # the proposed percent off

    def create_url(self) -> str:
        query = {"kind": PromotionKind.CATEGORY_PERCENT, "name": _("Clearance: %(sku)s") % {"sku": self.sku_name},
                 "percent": self.percent, "sku_ids": self.sku_id, "store_ids": self.location_id}  # fmt: skip
        return reverse("web:marketing-promotions") + "?" + urlencode(query)


def proposed_percent(*, sell_through: Decimal, age_days: int | None) -> int:
    """10% for slow stock, 10 more when older than 60 days and 10 more past 90, 10 more when almost
    nothing sold: at most 40% (a suggestion; the marketer sets the promotion)."""
    percent = 10
    age = age_days if age_days is not None else 999
    percent += 10 if age >= 60 else 0
    percent += 10 if age >= 90 else 0
    percent += 10 if sell_through < Decimal("0.05") else 0
    return percent


def clearance_candidates(*, actor: Actor, limit: int = 50, now: datetime | None = None) -> list[Candidate]:
    """SKU x store with stock on hand that sells slowly (sell-through under 20% in 30 days) and is
    old (last receipt 30+ days ago): slowest first, then oldest. Reads the stock ledger."""
    authorize(actor, Operation.MANAGE_PROMOTIONS)
    now = now or timezone.now()
    since = now - timedelta(days=SELL_THROUGH_DAYS)
    levels = {
        (row["location_id"], row["sku_id"]): row
        for row in StockLevel.objects.filter(on_hand__gt=0, location__kind=Location.Kind.STORE).values(
            "location_id", "sku_id", "on_hand", "location__name", "sku__name", "sku__product__category_id"
        )
    }
    if not levels:
        return []
    moves = (
        StockMove.objects.filter(location_id__in={k[0] for k in levels}, sku_id__in={k[1] for k in levels})
        .values("location_id", "sku_id")
        .annotate(
            last_receipt=Max("created_at", filter=Q(kind__in=[MoveKind.RECEIPT, MoveKind.TRANSFER_IN])),
            sold=Sum("quantity", filter=Q(kind=MoveKind.SALE, created_at__gte=since)),
        )
    )
    facts = {(m["location_id"], m["sku_id"]): m for m in moves}
    found = []
    for key, level in levels.items():
        fact = facts.get(key, {})
        sold = -(fact.get("sold") or 0)
        received = fact.get("last_receipt")
        age = (now - received).days if received else None
        through = (Decimal(sold) / (sold + level["on_hand"])).quantize(Decimal("0.001"))
        if through >= SLOW or (age is not None and age < OLD_DAYS):
            continue
        found.append(
            Candidate(key[0], level["location__name"], key[1], level["sku__name"], level["sku__product__category_id"],
                      level["on_hand"], sold, received, age, through,
                      proposed_percent(sell_through=through, age_days=age))
        )  # fmt: skip
    found.sort(key=lambda c: (c.sell_through, -(c.age_days if c.age_days is not None else 10**6), -c.on_hand))
    return found[:limit]


@staff_page(*ROLES)
def clearance(request: HttpRequest) -> HttpResponse:
    try:
        candidates = clearance_candidates(actor=request.actor, limit=SHOWN)
    except DomainError as error:
        raise PermissionDenied from error
    context = {"candidates": candidates, "days": SELL_THROUGH_DAYS}
    return render(request, "web/marketing/promotions/clearance.html", context)
