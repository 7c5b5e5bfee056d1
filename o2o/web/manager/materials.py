"""Publishing materials for employees to share (/manager/materials/, docs/toolbox.md): a store
manager for their store, HQ for the chain (or the store chosen with ?location=). The list shows
each material's shares, opens, readers, reading time, forwards, inquiries and leads over 30 days.
Writes call o2o.toolbox.services, as the API does."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.staff.models import Role
from o2o.toolbox import selectors, services
from o2o.toolbox.models import MaterialKind
from o2o.toolbox.selectors import FIGURES
from o2o.web.auth import staff_page
from o2o.web.manager.scope import store_scope

ROLES = (Role.STORE_MANAGER,)
FIGURE_DAYS = 30
SHOWN = 200


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MaterialKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.MAX_TITLE)
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=services.MAX_SUMMARY, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=services.MAX_BODY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    link_url = forms.URLField(
        label=gettext_lazy("Link (video or file)"), max_length=services.MAX_URL, required=False, assume_scheme="https"
    )
    sku_id = forms.IntegerField(label=gettext_lazy("Product (SKU id)"), min_value=1, max_value=2**62, required=False)
    chain_wide = forms.BooleanField(label=gettext_lazy("For the whole chain (HQ)"), required=False)

    def spec(self) -> services.MaterialSpec:
        data = self.cleaned_data
        return services.MaterialSpec(kind=data["kind"], title=data["title"], summary=data["summary"],
                                     body=data["body"], link_url=data["link_url"], sku_id=data["sku_id"])  # fmt: skip


def _page(request: HttpRequest, form: MaterialForm, status: int = 200) -> HttpResponse:
    scope = store_scope(request)
    actor = request.actor
    try:
        managed = selectors.managed_materials(actor=actor)
    except DomainError as error:
        raise PermissionDenied from error
    here = Q(location_id=scope.location.pk) | (Q(location__isnull=True) if actor.is_chain_wide else Q(pk__in=[]))
    materials = list(managed.filter(here)[:SHOWN])
    until = timezone.now()
    figures = selectors.material_figures(material_ids=[m.pk for m in materials],
                                         since=until - timedelta(days=FIGURE_DAYS), until=until)  # fmt: skip
    zero = dict.fromkeys(FIGURES, 0)
    context = {
        "scope": scope,
        "section": "materials",
        "is_manager": actor.has_role(Role.STORE_MANAGER),
        "chain_wide": actor.is_chain_wide,
        "form": form,
        "rows": [(material, figures.get(material.pk, zero)) for material in materials],
        "figure_days": FIGURE_DAYS,
    }
    return render(request, "web/manager/materials/list.html", context, status=status)


@staff_page(*ROLES)
def material_list(request: HttpRequest) -> HttpResponse:
    form = MaterialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scope = store_scope(request)
        chain_wide = form.cleaned_data["chain_wide"] and request.actor.is_chain_wide  # the box is HQ's only
        location_id = None if chain_wide else scope.location.pk
        try:
            material = services.publish_material(actor=request.actor, spec=form.spec(), location_id=location_id)
        except DomainError as error:
            if error.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
                raise PermissionDenied from error
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(title)s is published.") % {"title": material.title})
            return redirect(f"{request.path}{scope.suffix}")
    return _page(request, form, status=422 if request.method == "POST" else 200)


@require_POST
@staff_page(*ROLES)
def material_active(request: HttpRequest, material_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    try:
        services.set_material_active(actor=request.actor, material_id=material_id, active=active)
    except DomainError as error:
        raise Http404 from error
    messages.success(request, _("Published again.") if active else _("Withdrawn: its shared pages no longer open."))
    return redirect(f"/manager/materials/{store_scope(request).suffix}")
