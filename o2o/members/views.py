from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from o2o.core.errors import DomainError, ErrorCode
from o2o.members.forms import JoinForm
from o2o.members.models import Member
from o2o.members.phones import mask_phone
from o2o.members.services import register_member
from o2o.stores.selectors import get_location_by_code


def join(request: HttpRequest, store_code: str) -> HttpResponse:
    """The page behind a store's QR code: /join/<store>?ref=<employee code>."""
    try:
        store = get_location_by_code(code=store_code)
    except DomainError:
        return render(request, "members/join.html", {"store": None, "form": None}, status=404)
    form = JoinForm(request.POST or None, initial={"ref": request.GET.get("ref", "")})
    if request.method == "POST" and form.is_valid():
        try:
            member, _created = register_member(
                phone=form.cleaned_data["phone"],
                name=form.cleaned_data["name"],
                marketing_consent=form.cleaned_data["marketing_consent"],
                channel=Member.RegistrationChannel.STORE_QR,
                location_id=store.pk,
                employee_code=form.cleaned_data["ref"] or None,
            )
        except DomainError as error:
            if error.code != ErrorCode.INVALID_PHONE:
                raise
            form.add_error("phone", _("Enter a valid mobile phone number."))
        else:
            return render(
                request,
                "members/join.html",
                {"store": store, "member": member, "masked_phone": mask_phone(member.phone)},
            )
    return render(request, "members/join.html", {"store": store, "form": form}, status=422 if form.errors else 200)
