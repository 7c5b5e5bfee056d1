"""A store's chain sign-ups (接龙) for its manager: publish a list, see the entries, close it now.
Writes call o2o.groupbuy.chains, as the API does."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.groupbuy import chains, selectors
from o2o.staff.models import Role
from o2o.web.auth import staff_page
from o2o.web.manager.scope import store_scope

ROLES = (Role.STORE_MANAGER,)


class ChainForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    cutoff_at = forms.DateTimeField(
        label=gettext_lazy("Cut-off"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    items = forms.CharField(
        label=gettext_lazy("Items: one per line, SKU id, chain price (empty: list price), most per person"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=2000, widget=forms.Textarea)

    def clean_items(self) -> list[chains.ItemIn]:
        items = []
        for row in self.cleaned_data["items"].splitlines():
            parts = [part.strip() for part in row.replace("，", ",").split(",")]
            if not parts[0]:
                continue
            try:
                sku_id = int(parts[0])
                price = Decimal(parts[1]) if len(parts) > 1 and parts[1] else None
                most = int(parts[2]) if len(parts) > 2 and parts[2] else None
            except (ValueError, InvalidOperation) as error:
                raise forms.ValidationError(_("Write each item as: SKU id, price, most per person.")) from error
            if sku_id < 1 or (price is not None and (price <= 0 or price.as_tuple().exponent < -2)):
                raise forms.ValidationError(_("Write each item as: SKU id, price, most per person."))
            if most is not None and not 1 <= most <= 999:
                raise forms.ValidationError(_("Most per person is 1 to 999."))
            items.append(chains.ItemIn(sku_id, price, most))
        if not items:
            raise forms.ValidationError(_("Add at least one item."))
        return items


def _page(request: HttpRequest, scope, form: ChainForm, status: int = 200) -> HttpResponse:
    lists = list(selectors.chains_of_location([scope.location.pk])[:50])
    context = {
        "scope": scope,
        "section": "chains",
        "is_manager": request.actor.has_role(Role.STORE_MANAGER),
        "form": form,
        "lists": lists,
    }
    return render(request, "web/manager/chains.html", context, status=status)


@staff_page(*ROLES)
def chain_list(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    form = ChainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            chain = chains.publish_chain(actor=request.actor, location_id=scope.location.pk, **data)
        except DomainError as error:
            if error.code == ErrorCode.FORBIDDEN:
                raise PermissionDenied from error
            form.add_error(None, error.message)
        else:
            messages.success(request, _("List %(title)s published.") % {"title": chain.title})
            return redirect("web:manager-chain", chain_id=chain.pk)
    return _page(request, scope, form, status=422 if request.method == "POST" else 200)


@staff_page(*ROLES)
def chain_detail(request: HttpRequest, chain_id: int) -> HttpResponse:
    try:
        chain = chains.get_chain_for_manager(actor=request.actor, chain_id=chain_id)
    except DomainError as error:
        raise Http404 from error
    entries = selectors.chain_entries(chain.pk)
    context = {
        "scope": store_scope(request),
        "section": "chains",
        "is_manager": request.actor.has_role(Role.STORE_MANAGER),
        "chain": selectors.get_chain(chain.pk),
        "entries": list(enumerate(entries, start=1)),
    }
    return render(request, "web/manager/chain.html", context)


@require_POST
@staff_page(*ROLES)
def chain_close(request: HttpRequest, chain_id: int) -> HttpResponse:
    try:
        chains.close_chain(actor=request.actor, chain_id=chain_id)
    except DomainError as error:
        raise Http404 from error
    messages.success(request, _("The list is closed and its orders placed."))
    return redirect("web:manager-chain", chain_id=chain_id)
