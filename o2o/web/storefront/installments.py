"""The customer's store credit plans (分期): the plan choice for a big-ticket order, and "my installments"."""

import uuid
from decimal import Decimal

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from o2o.core.errors import DomainError, ErrorCode
from o2o.installments import selectors
from o2o.installments import services as installments
from o2o.installments.models import PLAN_LENGTHS
from o2o.orders.models import OrderState
from o2o.web.auth import member_page
from o2o.web.storefront.my_orders import order_or_404
from o2o.web.storefront.pages import render_shop

T = "web/installments/"


class PlanChoiceForm(forms.Form):
    periods = forms.TypedChoiceField(
        label=_("Periods"), choices=[(n, n) for n in PLAN_LENGTHS], coerce=int, widget=forms.RadioSelect
    )
    down_payment = forms.DecimalField(
        label=_("Down payment (paid at the gateway)"), min_value=0, max_digits=12, decimal_places=2, initial="0.00"
    )
    # One key per rendered form: a double submit gets the first plan back.
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


def plan_error(error: DomainError) -> str:
    """A store credit plan's refusal, in the visitor's language (the counter's pages use it too)."""
    texts = {
        ErrorCode.BELOW_INSTALLMENT_MINIMUM: gettext("Orders from ¥%(minimum)s can be paid in installments.")
        % {"minimum": error.extra.get("minimum", "")},
        ErrorCode.REPAYMENT_EXCEEDS_OWED: gettext("That is more than is owed (¥%(owed)s).")
        % {"owed": error.extra.get("owed", "")},
        ErrorCode.ILLEGAL_TRANSITION: gettext("The order or the plan changed meanwhile. Reload the page and check it."),
        ErrorCode.PAYMENT_DEADLINE_PASSED: gettext("The payment deadline has passed."),
        ErrorCode.CONFLICT: gettext("This order has a plan already."),
        ErrorCode.TENDERS_EXCEED_PAYABLE: gettext("The payments would cover more than the order's total."),
        ErrorCode.IDEMPOTENCY_CONFLICT: gettext("The form was sent twice with different values. Reload the page."),
        ErrorCode.FORBIDDEN: gettext("You may not do this here."),
        ErrorCode.NOT_FOUND: gettext("Not found."),
    }
    return texts.get(error.code, gettext("Check the plan: periods and the down payment."))


def _eligible(order) -> bool:
    return order.state == OrderState.PENDING_PAYMENT and selectors.plan_of_order(order_id=order.pk) is None


@member_page
def choose(request: HttpRequest, order_id: int) -> HttpResponse:
    """The plans this order can be paid with; choosing one pays it (and the down payment, if any, at the gateway)."""
    order = order_or_404(request, order_id)
    form, error, status = PlanChoiceForm(initial={"key": uuid.uuid4().hex, "down_payment": "0.00"}), "", 200
    if request.method == "POST" and _eligible(order):
        form = PlanChoiceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            plan_request = installments.PlanRequest(periods=data["periods"], down_payment=data["down_payment"])
            try:
                installments.set_up_plan(
                    actor=request.actor, order=order, request=plan_request, idempotency_key=data["key"]
                )
            except DomainError as exc:
                error, status = plan_error(exc), 422
            else:
                order.refresh_from_db()
                target = "web:shop-pay" if order.state == OrderState.PENDING_PAYMENT else "web:shop-order"
                return redirect(target, order.pk)
        else:
            status = 422
    options = selectors.plan_options(order=order) if _eligible(order) else []
    context = {"order": order, "options": options, "form": form, "error": error}
    return render_shop(request, f"{T}choose.html", context, nav="orders", status=status)


@member_page
def offer(request: HttpRequest, order_id: int) -> HttpResponse:
    """A link to the plan choice when the order qualifies (loaded by the pay page); otherwise nothing."""
    order = order_or_404(request, order_id)
    if not _eligible(order) or not selectors.plan_options(order=order):
        return HttpResponse(status=204)
    return render_shop(request, f"{T}_offer.html", {"order": order})


@member_page
def my_plans(request: HttpRequest) -> HttpResponse:
    plans = list(selectors.plans_for(actor=request.actor)[:50])
    rows = [(plan, sum((d.outstanding for d in plan.dues.all() if d.state in ("due", "overdue")), Decimal("0.00")))
            for plan in plans]  # fmt: skip
    return render_shop(request, f"{T}mine.html", {"plans": rows}, nav="installments")
