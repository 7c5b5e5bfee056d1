from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ratelimits import client_address
from o2o.members.forms import JoinCodeForm, JoinForm, code_error
from o2o.members.phones import mask_phone
from o2o.members.services import join_from_store, send_sign_in_code
from o2o.members.sessions import start_member_session
from o2o.stores.selectors import get_location_by_code


def join(request: HttpRequest, store_code: str) -> HttpResponse:
    """The page behind a store's QR code: /join/<store>?ref=<employee code>.

    Step 1 sends a code to the phone; step 2 proves the phone with it and only then creates or
    credits the member. Both steps answer alike for a new and an existing member."""
    try:
        store = get_location_by_code(code=store_code)
    except DomainError:
        return render(request, "members/join.html", {"store": None, "form": None}, status=404)
    step_two = "code" in request.POST
    form = (JoinCodeForm if step_two else JoinForm)(request.POST or None, initial={"ref": request.GET.get("ref", "")})
    throttled = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if step_two:
                member = join_from_store(
                    phone=data["phone"],
                    code=data["code"],
                    store_code=store.code,
                    employee_code=data["ref"] or None,
                    name=data["name"],
                    marketing_consent=data["marketing_consent"],
                    client=client_address(request),
                )
                start_member_session(request, member)  # the phone is proven: signed in to shop
                context = {"store": store, "member": member, "masked_phone": mask_phone(member.phone)}
                return render(request, "members/join.html", context)
            send_sign_in_code(phone=data["phone"], client=client_address(request))
            form = JoinCodeForm(initial=data)
            step_two = True
        except DomainError as error:
            throttled = error.code == ErrorCode.RATE_LIMITED
            form.add_error(*code_error(error, step_two=step_two))
    status = 429 if throttled else 422 if form.errors else 200
    context = {"store": store, "form": form, "step_two": step_two}
    return render(request, "members/join.html", context, status=status)
