"""Store credit plans at the counter: set one up for a customer's order, take a repayment, settle early."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError
from o2o.core.ids import is_id
from o2o.installments import selectors
from o2o.installments import services as installments
from o2o.installments.models import PLAN_LENGTHS, RepaymentMethod
from o2o.orders.selectors import get_order_for
from o2o.web.counter.pages import counter_page
from o2o.web.storefront.installments import plan_error

TEMPLATE = "web/installments/counter.html"


class LookupForm(forms.Form):
    order = forms.CharField(label=gettext_lazy("Order number"), max_length=20)


class SetUpForm(forms.Form):
    periods = forms.TypedChoiceField(label=gettext_lazy("Periods"), choices=[(n, n) for n in PLAN_LENGTHS], coerce=int)
    down_payment = forms.DecimalField(
        label=gettext_lazy("Down payment"), min_value=0, max_digits=12, decimal_places=2, initial="0.00"
    )
    method = forms.ChoiceField(label=gettext_lazy("Down payment paid by"), choices=RepaymentMethod.choices)
    member_code = forms.CharField(
        label=gettext_lazy("Member's payment code"),
        max_length=40,
        help_text=gettext_lazy("Scan the code on the member's phone: they agree to the plan."),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


class RepayForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    method = forms.ChoiceField(label=gettext_lazy("Paid by"), choices=RepaymentMethod.choices)
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


class SettleForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("Paid by"), choices=RepaymentMethod.choices)
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


def _key() -> dict:
    return {"key": uuid.uuid4().hex}


def _back(number: str) -> HttpResponse:
    return redirect(f"{reverse('web:counter-installments')}?order={number}")


def _find(request: HttpRequest, number: str):
    try:
        return get_order_for(actor=request.actor, number=number)
    except DomainError:
        return None


@counter_page
def page(request: HttpRequest) -> HttpResponse:
    lookup = LookupForm(request.GET or None)
    order = plan = None
    if lookup.is_valid():
        order = _find(request, lookup.cleaned_data["order"].strip())
        if order is None:
            lookup.add_error("order", _("No order with this number at your store."))
        else:
            plan = selectors.plan_of_order(order_id=order.pk)
    context = {
        "store": request.store,
        "lookup": lookup,
        "order": order,
        "plan": selectors.get_plan_for(actor=request.actor, plan_id=plan.pk) if plan else None,
        "owed": selectors.outstanding(plan_id=plan.pk) if plan else None,
        "options": selectors.plan_options(order=order) if order and not plan else [],
        "set_up_form": SetUpForm(initial={**_key(), "down_payment": "0.00"}),
        "repay_form": RepayForm(initial=_key()),
        "settle_form": SettleForm(initial=_key()),
    }
    return render(request, TEMPLATE, context)


def _done(request: HttpRequest, number: str, call, success: str) -> HttpResponse:
    try:
        call()
    except DomainError as exc:
        messages.error(request, plan_error(exc))
    else:
        messages.success(request, success)
    return _back(number)


@counter_page
@require_POST
def set_up(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _find_by_id(request, order_id)
    form = SetUpForm(request.POST)
    if order is None or not form.is_valid():
        messages.error(
            request, _("Check the plan: periods, a down payment in yuan, how it is paid and the member's payment code.")
        )
        return _back(order.number if order else "")
    data = form.cleaned_data
    plan_request = installments.PlanRequest(
        periods=data["periods"],
        down_payment=data["down_payment"],
        down_payment_method=data["method"] if data["down_payment"] else None,
        member_code=data["member_code"].strip(),
    )
    return _done(
        request,
        order.number,
        lambda: installments.set_up_plan(actor=request.actor, order=order, request=plan_request,
                                         idempotency_key=data["key"]),
        _("The plan is set up and the order is paid."),
    )  # fmt: skip


def _find_by_id(request: HttpRequest, order_id: int):
    if not is_id(order_id):
        return None
    try:
        return get_order_for(actor=request.actor, order_id=order_id)
    except DomainError:
        return None


def _plan_or_none(request: HttpRequest, order_id: int):
    """The plan of the order (one per order), if this counter may see it."""
    order = _find_by_id(request, order_id)
    plan = selectors.plan_of_order(order_id=order.pk) if order else None
    try:
        return selectors.get_plan_for(actor=request.actor, plan_id=plan.pk) if plan else None
    except DomainError:
        return None


@counter_page
@require_POST
def repay(request: HttpRequest, order_id: int) -> HttpResponse:
    plan = _plan_or_none(request, order_id)
    form = RepayForm(request.POST)
    if plan is None or not form.is_valid():
        messages.error(request, _("Check the amount (yuan, two decimals) and how it is paid."))
        return _back(plan.order.number if plan else "")
    data = form.cleaned_data
    return _done(
        request,
        plan.order.number,
        lambda: installments.repay(actor=request.actor, plan=plan, amount=data["amount"], method=data["method"],
                                   idempotency_key=data["key"]),
        _("Repayment taken."),
    )  # fmt: skip


@counter_page
@require_POST
def settle(request: HttpRequest, order_id: int) -> HttpResponse:
    plan = _plan_or_none(request, order_id)
    form = SettleForm(request.POST)
    if plan is None or not form.is_valid():
        messages.error(request, _("Say how the customer pays."))
        return _back(plan.order.number if plan else "")
    data = form.cleaned_data
    return _done(
        request,
        plan.order.number,
        lambda: installments.settle(actor=request.actor, plan=plan, method=data["method"], idempotency_key=data["key"]),
        _("The plan is settled."),
    )
