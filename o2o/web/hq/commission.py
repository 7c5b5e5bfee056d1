"""Commission for HQ and supervisors (/hq/commission/, docs/commission.md): the plans (HQ creates
one from a form: default rate, rates per SKU code or category, tiers, cap) and any visible
employee's monthly statement (a store manager their store's, a supervisor their region's)."""

import secrets
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.catalog.models import SKU, Category
from o2o.commission import selectors, services
from o2o.core.errors import DomainError, ErrorCode
from o2o.staff.models import Role
from o2o.web.auth import staff_page
from o2o.web.employee.commission import csv_response, period_of

T = "web/hq/commission/"
VIEWERS = (Role.HQ, Role.REGIONAL_SUPERVISOR, Role.STORE_MANAGER)


class PlanForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    effective_from = forms.DateField(label=gettext_lazy("Effective from"))
    effective_to = forms.DateField(label=gettext_lazy("Effective to (exclusive)"), required=False)
    monthly_cap = forms.DecimalField(label=gettext_lazy("Monthly cap"), required=False, min_value=0, max_digits=12,
                                     decimal_places=2)  # fmt: skip
    default_percent = forms.DecimalField(label=gettext_lazy("Default rate %"), min_value=0, max_value=100,
                                         max_digits=5, decimal_places=2)  # fmt: skip
    rates = forms.CharField(label=gettext_lazy("Rates: one per line, SKU code or category slug = percent"),
                            required=False, widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip
    tiers = forms.CharField(label=gettext_lazy("Tiers: one per line, monthly volume from = bonus percent"),
                            required=False, widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def clean_rates(self) -> list[services.RateIn]:
        rates = []
        for key, percent in self._pairs(self.cleaned_data["rates"]):
            sku = SKU.objects.filter(code=key).first()
            category = None if sku else Category.objects.filter(slug=key).first()
            if sku is None and category is None:
                raise forms.ValidationError(_("No SKU code or category slug %(key)s.") % {"key": key})
            rates.append(services.RateIn(percent=percent, sku_id=sku.pk if sku else None,
                                         category_id=category.pk if category else None))  # fmt: skip
        return rates

    def clean_tiers(self) -> list[services.TierIn]:
        return [services.TierIn(monthly_volume_from=self._volume(key), bonus_percent=bonus)
                for key, bonus in self._pairs(self.cleaned_data["tiers"])]  # fmt: skip

    @staticmethod
    def _volume(text: str) -> Decimal:
        try:
            volume = Decimal(text)
            if not volume.is_finite() or volume < 0 or volume != volume.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            raise forms.ValidationError(_("A tier starts at a monthly volume of 0 or more, in yuan.")) from None
        return volume

    @staticmethod
    def _pairs(text: str) -> list[tuple[str, Decimal]]:
        pairs = []
        for raw in text.splitlines():
            if not raw.strip():
                continue
            key, sep, value = raw.partition("=")
            try:
                percent = Decimal(value.strip())
                if not sep or not key.strip() or not percent.is_finite() or not 0 <= percent <= 100:
                    raise InvalidOperation
                if percent != percent.quantize(Decimal("0.01")):
                    raise InvalidOperation
            except InvalidOperation:
                raise forms.ValidationError(_("Write each line as key = percent (0 to 100).")) from None
            pairs.append((key.strip(), percent))
        return pairs


def _plans_page(request: HttpRequest, form: PlanForm, status: int = 200) -> HttpResponse:
    context = {"section": "plans", "plans": list(selectors.plans()[:50]), "form": form,
               "can_manage": may(request.actor, Operation.MANAGE_COMMISSION_PLANS),
               "form_key": secrets.token_urlsafe(12)}  # fmt: skip
    return render(request, f"{T}plans.html", context, status=status)


@staff_page(*VIEWERS)
def plans(request: HttpRequest) -> HttpResponse:
    return _plans_page(request, PlanForm(initial={"effective_from": timezone.localdate(), "default_percent": "3.00"}))


@require_POST
@staff_page(Role.HQ)
def create_plan(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST)
    if not form.is_valid():
        return _plans_page(request, form, status=422)
    data = form.cleaned_data
    try:
        services.create_plan(
            actor=request.actor, name=data["name"], effective_from=data["effective_from"],
            effective_to=data["effective_to"], monthly_cap=data["monthly_cap"],
            rates=[services.RateIn(percent=data["default_percent"]), *data["rates"]], tiers=data["tiers"],
            idempotency_key=request.POST.get("key", "")[:80] or None,
        )  # fmt: skip
    except DomainError as error:
        if error.code == ErrorCode.FORBIDDEN:
            raise PermissionDenied from error
        form.add_error(None, str(error))
        return _plans_page(request, form, status=422)
    return redirect("web:hq-commission-plans")


@staff_page(*VIEWERS)
def statements(request: HttpRequest) -> HttpResponse:
    employees = list(selectors.visible_employees(actor=request.actor)[:500])
    raw = request.GET.get("employee", "")
    statement = None
    if raw.isdigit():
        try:
            employee = selectors.employee_for(actor=request.actor, employee_id=int(raw))
        except DomainError as error:
            raise Http404 from error
        statement = selectors.statement(employee=employee, period=period_of(request))
        if request.GET.get("format") == "csv":
            return csv_response(statement)
    period = statement.period if statement else period_of(request)
    context = {"section": "statements", "employees": employees, "statement": statement, "period": period,
               "chosen": int(raw) if raw.isdigit() else None,
               "csv_url": f"?employee={raw}&period={period:%Y-%m}&format=csv"}  # fmt: skip
    return render(request, f"{T}statements.html", context)
