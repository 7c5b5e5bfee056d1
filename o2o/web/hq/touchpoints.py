"""HQ: the touchpoint matrix — the version in force (who owns each touchpoint and how its credit is
split), the history of versions, and a form to publish a new one from a date. Every staff member may
read it (the rules are public to staff); only HQ publishes. Same selectors and service as the API."""

import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.attribution import selectors, services
from o2o.attribution.models import MATRIX_PARTIES, Lead, MatrixVersion, Party, Touchpoint
from o2o.core.errors import DomainError, ErrorCode
from o2o.web.auth import staff_page

T = "web/hq/touchpoints/matrix.html"
MAX_RULES_TEXT = 4000


def rules_as_text(rules: list[selectors.RuleRow]) -> str:
    """One line per touchpoint: `store_sale offline cashier=80* acquiring_employee=20` (* the owner)."""
    return "\n".join(
        " ".join(
            [rule.touchpoint, rule.lead]
            + [f"{share.party}={share.percent.normalize():f}{'*' if share.is_owner else ''}" for share in rule.shares]
        )
        for rule in rules
    )


def _parse_line(line: str) -> services.RuleIn:
    touchpoint, lead, *shares = line.split()
    if touchpoint not in Touchpoint.values:
        raise forms.ValidationError(_("Unknown touchpoint: %(name)s") % {"name": touchpoint})
    if lead not in Lead.values:
        raise forms.ValidationError(_("%(name)s: the lead is online or offline.") % {"name": touchpoint})
    parsed = []
    for share in shares:
        party, _sep, percent = share.partition("=")
        owner = percent.endswith("*")
        if party not in MATRIX_PARTIES:
            raise forms.ValidationError(_("Unknown party: %(name)s") % {"name": party})
        try:
            value = Decimal(percent.rstrip("*"))
        except InvalidOperation as error:
            raise forms.ValidationError(_("%(share)s: write party=percent.") % {"share": share}) from error
        if not value.is_finite():
            raise forms.ValidationError(_("%(share)s: write party=percent.") % {"share": share})
        parsed.append(services.ShareIn(party, value, owner))
    return services.RuleIn(touchpoint=touchpoint, lead=lead, shares=parsed)


class VersionForm(forms.Form):
    effective_from = forms.DateField(
        label=gettext_lazy("Effective from"), help_text=gettext_lazy("Today or later: orders paid from that day on.")
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)
    rules = forms.CharField(
        label=gettext_lazy("Rules"),
        widget=forms.Textarea(attrs={"rows": 12, "cols": 90, "spellcheck": "false"}),
        max_length=MAX_RULES_TEXT,
        help_text=gettext_lazy(
            "One line per touchpoint: touchpoint, online or offline, then party=percent for each share; "
            "* marks the owner. The shares of a touchpoint add up to 100."
        ),
    )
    # One version per form shown: a double submit publishes it once.
    token = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def clean_rules(self) -> list[services.RuleIn]:
        lines = [line for line in self.cleaned_data["rules"].splitlines() if line.strip()]
        if any(len(line.split()) < 2 for line in lines):
            raise forms.ValidationError(_("Each line starts with a touchpoint and its lead."))
        return [_parse_line(line) for line in lines]


def _shown_version(request: HttpRequest, versions: list[MatrixVersion], current):
    """The version asked for with ?version=<id> (from the history), else the one in force."""
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        for version in versions:
            if str(version.pk) == wanted:
                return selectors.matrix_of(version)
    return current


def _page(request: HttpRequest, *, form: VersionForm | None = None, status: int = 200) -> HttpResponse:
    try:
        current, versions = selectors.matrix_for(actor=request.actor)
    except DomainError as error:
        raise PermissionDenied from error
    shown = _shown_version(request, versions, current)
    may_publish = may(request.actor, Operation.PUBLISH_TOUCHPOINT_MATRIX)
    if form is None and may_publish:
        form = VersionForm(
            initial={
                "effective_from": timezone.localdate(),
                "rules": rules_as_text(current.rules if current else []),
                "token": uuid.uuid4().hex,
            }
        )
    context = {
        "shown": shown,
        "current": current,
        "versions": versions,
        "today": timezone.localdate(),
        "form": form if may_publish else None,
        "parties": [(p, Party(p).label) for p in MATRIX_PARTIES],
        "touchpoints": dict(Touchpoint.choices),
        "party_labels": dict(Party.choices),
        "section": "touchpoints",
    }
    return render(request, T, context, status=status)


@staff_page()
def matrix(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_page()
def publish(request: HttpRequest) -> HttpResponse:
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=422)
    data = form.cleaned_data
    try:
        version = services.publish_matrix_version(
            actor=request.actor,
            effective_from=data["effective_from"],
            rules=data["rules"],
            note=data["note"],
            idempotency_key=f"web:{data['token']}",
        )
    except DomainError as error:
        if error.code == ErrorCode.FORBIDDEN:
            raise PermissionDenied from error
        form.add_error(None, _refusal(error))
        return _page(request, form=form, status=error.status)
    messages.success(request, _("Matrix version from %(day)s published.") % {"day": version.effective_from.isoformat()})
    return redirect("web:hq-touchpoints")


def _refusal(error: DomainError) -> str:
    """The service's refusal in the viewer's language, naming the touchpoint it is about."""
    touchpoint = error.extra.get("touchpoint")
    if error.code == ErrorCode.CONFLICT:
        return _("A version takes effect on that date already.")
    if "missing" in error.extra:
        return _("List every touchpoint once; missing: %(names)s") % {"names": ", ".join(error.extra["missing"])}
    if touchpoint:
        return _("%(touchpoint)s: %(reason)s") % {"touchpoint": touchpoint, "reason": error.message}
    return error.message
