"""HQ: points and levels — the points liability, member level rules, category points rules, and
manual adjustments (HQ and customer service). Every write calls the same loyalty services as the API."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.catalog.models import Category
from o2o.core.errors import DomainError, ErrorCode
from o2o.loyalty import levels as level_rules
from o2o.loyalty import selectors
from o2o.loyalty import services as loyalty
from o2o.members.selectors import member_by_phone
from o2o.web.auth import staff_page

T = "web/loyalty/hq.html"


class LevelForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=40)
    rank = forms.IntegerField(label=gettext_lazy("Rank"), min_value=0, max_value=1000)
    min_growth = forms.IntegerField(label=gettext_lazy("Growth value needed"), min_value=0, max_value=100_000_000)
    discount_percent = forms.DecimalField(
        label=gettext_lazy("Member discount (%)"), min_value=0, max_value=Decimal("99.99"), decimal_places=2
    )
    points_multiplier = forms.DecimalField(
        label=gettext_lazy("Points multiplier"), min_value=1, max_value=10, decimal_places=2, initial=Decimal(1)
    )
    free_delivery = forms.BooleanField(label=gettext_lazy("Free delivery"), required=False)


class CategoryRuleForm(forms.Form):
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=Category.objects.order_by("name"))
    multiplier = forms.DecimalField(
        label=gettext_lazy("Points multiplier"),
        min_value=0,
        max_value=10,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("0: no points; empty: remove the rule (x1)."),
    )


class AdjustmentForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Member's phone"), max_length=20)
    points = forms.IntegerField(
        label=gettext_lazy("Points"),
        min_value=-100_000_000,
        max_value=100_000_000,
        help_text=gettext_lazy("Positive gives, negative takes."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)
    # One adjustment per form shown: a double submit books it once.
    token = forms.CharField(widget=forms.HiddenInput, max_length=40)


def _page(request: HttpRequest, *, status: int = 200, **forms_shown) -> HttpResponse:
    try:
        overview = selectors.rules_overview(actor=request.actor)
    except DomainError as exc:
        raise PermissionDenied from exc
    context = {
        "overview": overview,
        "levels": list(selectors.levels()),
        "rules": list(selectors.category_rules()),
        "level_form": forms_shown.get("level_form") or LevelForm(initial={"discount_percent": 0}),
        "rule_form": forms_shown.get("rule_form") or CategoryRuleForm(),
        "adjust_form": forms_shown.get("adjust_form") or AdjustmentForm(initial={"token": uuid.uuid4().hex}),
    }
    return render(request, T, context, status=status)


def _refused(form: forms.Form, error: DomainError) -> int:
    if error.code == ErrorCode.FORBIDDEN:
        raise PermissionDenied from error
    form.add_error(None, error.message)
    return error.status


@staff_page()
def rules(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_page()
def save_level(request: HttpRequest) -> HttpResponse:
    form = LevelForm(request.POST)
    if not form.is_valid():
        return _page(request, status=422, level_form=form)
    try:
        level = level_rules.save_level(actor=request.actor, rule=level_rules.LevelRule(**form.cleaned_data))
    except DomainError as error:
        return _page(request, status=_refused(form, error), level_form=form)
    messages.success(request, _("Level %(name)s saved.") % {"name": level.name})
    return redirect("web:hq-loyalty")


@require_POST
@staff_page()
def save_category_rule(request: HttpRequest) -> HttpResponse:
    form = CategoryRuleForm(request.POST)
    if not form.is_valid():
        return _page(request, status=422, rule_form=form)
    category, multiplier = form.cleaned_data["category"], form.cleaned_data["multiplier"]
    try:
        loyalty.set_category_rule(actor=request.actor, category_id=category.pk, multiplier=multiplier)
    except DomainError as error:
        return _page(request, status=_refused(form, error), rule_form=form)
    messages.success(request, _("Points rule for %(category)s saved.") % {"category": category.name})
    return redirect("web:hq-loyalty")


@require_POST
@staff_page()
def adjust(request: HttpRequest) -> HttpResponse:
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        return _page(request, status=422, adjust_form=form)
    data = form.cleaned_data
    try:
        member = member_by_phone(phone=data["phone"])
        adjustment = loyalty.Adjustment(
            member_id=member.pk, points=data["points"], reason=data["reason"], reference=f"web:{data['token']}"
        )
        loyalty.adjust_points(actor=request.actor, adjustment=adjustment)
    except DomainError as error:
        return _page(request, status=_refused(form, error), adjust_form=form)
    messages.success(
        request, _("%(points)s points booked for %(member)s.") % {"points": data["points"], "member": member}
    )
    return redirect("web:hq-loyalty")
