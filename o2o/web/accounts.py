"""Signing in and out: staff with username and password, customers with phone and one-time code."""

from django import forms
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.access.actors import actor_for_user
from o2o.core.errors import DomainError, ErrorCode
from o2o.members.services import send_sign_in_code, verify_sign_in_code
from o2o.web.auth import current_member, home_for, sign_in_member, sign_out_member
from o2o.web.storefront.pages import render_shop


class StaffLoginView(auth_views.LoginView):
    template_name = "web/login.html"

    def get_default_redirect_url(self) -> str:
        from django.urls import reverse

        return reverse(home_for(actor_for_user(self.request.user)))


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class CodeForm(PhoneForm):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if ok else "/shop/"


def member_signin(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone gets a code. Step 2: the code signs the member in (created on first sign-in)."""
    step_two = "code" in request.POST
    form = (CodeForm if step_two else PhoneForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            if step_two:
                sign_in_member(request, verify_sign_in_code(phone=phone, code=form.cleaned_data["code"]))
                return redirect(_safe_next(request))
            send_sign_in_code(phone=phone)
            form = CodeForm(initial={"phone": phone})
            step_two = True
        except DomainError as error:
            messages = {
                ErrorCode.INVALID_PHONE: ("phone", _("Enter a valid mobile phone number.")),
                ErrorCode.INVALID_CODE: ("code", _("The code is wrong or has expired.")),
                ErrorCode.RATE_LIMITED: (None, _("Too many codes were requested. Try again in a few minutes.")),
            }
            if error.code not in messages:
                raise
            form.add_error(*messages[error.code])
    context = {"form": form, "step_two": step_two, "next": _safe_next(request), "member": current_member(request)}
    return render_shop(request, "web/member_signin.html", context, status=422 if form.errors else 200)


def member_signout(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        sign_out_member(request)
    return redirect("web:shop-home")
