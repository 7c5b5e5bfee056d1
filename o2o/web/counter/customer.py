"""The customer at the counter: look a member up by phone, or sign the phone up as a new member."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.access.members import look_up_member, register_member_at_counter
from o2o.core.errors import DomainError, ErrorCode
from o2o.web.counter import basket
from o2o.web.counter.coupons import coupon_context
from o2o.web.counter.display import Customer
from o2o.web.counter.errors import explain
from o2o.web.counter.forms import PhoneForm, RegisterForm
from o2o.web.counter.pages import counter_page, is_htmx

PARTIAL = "web/counter/customer.html#customer"
PAGES = {"sale": "web:counter-sale", "aisle": "web:counter-aisle"}


def _answer(request: HttpRequest, counter: basket.Counter, status: int = 200, **context) -> HttpResponse:
    basket.save(request, counter)
    back = request.POST.get("back") if request.POST.get("back") in PAGES else "sale"
    if not is_htmx(request):
        if context.get("error"):
            messages.error(request, context["error"])
        return redirect(PAGES[back])
    context = {"customer": Customer.of(counter.member()), "back": back, **context}
    if back == "sale":  # the member's coupons come (or go) with them
        context |= {**coupon_context(counter, request.location_id), "coupons_oob": True}
    return render(request, PARTIAL, context, status=status)


@counter_page
@require_POST
def lookup(request: HttpRequest) -> HttpResponse:
    counter = basket.load(request)
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _answer(request, counter, 422, phone_form=form, error=form.errors["phone"][0])
    phone = form.cleaned_data["phone"]
    try:
        member = look_up_member(actor=request.actor, phone=phone)
    except DomainError as error:
        if error.code == ErrorCode.NOT_FOUND:  # offer to sign the phone up
            return _answer(request, counter, phone_form=form, register_form=RegisterForm(initial={"phone": phone}))
        return _answer(request, counter, 422, phone_form=form, error=explain(error))
    counter.set_member(member.pk)
    return _answer(request, counter)


@counter_page
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    """A new member, credited to this store and to the clerk who signed them up."""
    counter = basket.load(request)
    form = RegisterForm(request.POST)
    if not form.is_valid():
        return _answer(request, counter, 422, register_form=form, error=next(iter(form.errors.values()))[0])
    try:
        member, created = register_member_at_counter(
            actor=request.actor,
            phone=form.cleaned_data["phone"],
            name=form.cleaned_data["name"],
            marketing_consent=form.cleaned_data["marketing_consent"],
        )
    except DomainError as error:
        return _answer(request, counter, 422, register_form=form, error=explain(error))
    counter.set_member(member.pk)
    notice = _("New member signed up.") if created else _("This phone was already a member.")
    return _answer(request, counter, notice=notice)


@counter_page
@require_POST
def forget(request: HttpRequest) -> HttpResponse:
    counter = basket.load(request)
    counter.set_member(None)
    return _answer(request, counter)
