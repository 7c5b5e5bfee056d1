"""Signing in and out: staff with username and password, customers with phone and one-time code."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.access.actors import actor_for_user
from o2o.access.services import authenticate_staff
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ratelimits import client_address
from o2o.members.forms import code_error
from o2o.members.services import send_sign_in_code, verify_sign_in_code
from o2o.outreach.services import join_through_share_link
from o2o.outreach.sessions import referrer_in
from o2o.web.auth import current_member, home_for, sign_in_member, sign_out_member
from o2o.web.storefront.pages import render_shop


class StaffSignInForm(AuthenticationForm):
    """Django's sign-in form, with the password checked by the service the API uses too: the
    same budgets per username and per client address."""

    throttled = False

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = authenticate_staff(
                username=username, password=password, client=client_address(self.request)
            )
        except DomainError as error:
            if error.code != ErrorCode.RATE_LIMITED:
                raise self.get_invalid_login_error() from error
            self.throttled = True
            minutes = -(-error.extra["retry_after"] // 60)
            raise forms.ValidationError(
                _("Too many sign-in attempts. Try again later (in %(minutes)s min).") % {"minutes": minutes},
                code="throttled",
            ) from error
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class StaffLoginView(auth_views.LoginView):
    template_name = "web/login.html"
    form_class = StaffSignInForm

    def form_invalid(self, form: StaffSignInForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response

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
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if ok else "/shop/"


def member_signin(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone gets a code. Step 2: the code signs the member in (created on first sign-in)."""
    step_two = "code" in request.POST
    throttled = False
    form = (CodeForm if step_two else PhoneForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            client = client_address(request)
            if step_two:
                code, referrer = form.cleaned_data["code"], referrer_in(request.session)
                if referrer is not None:  # came through an employee's share link: a new member is theirs
                    member = join_through_share_link(phone=phone, code=code, employee_code=referrer.code, client=client)
                else:
                    member = verify_sign_in_code(phone=phone, code=code, client=client)
                sign_in_member(request, member)
                return redirect(_safe_next(request))
            send_sign_in_code(phone=phone, client=client)
            form = CodeForm(initial={"phone": phone})
            step_two = True
        except DomainError as error:
            throttled = error.code == ErrorCode.RATE_LIMITED
            form.add_error(*code_error(error, step_two=step_two))
    status = 429 if throttled else 422 if form.errors else 200
    context = {"form": form, "step_two": step_two, "next": _safe_next(request), "member": current_member(request)}
    return render_shop(request, "web/member_signin.html", context, status=status)



def member_signout(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        sign_out_member(request)
    return redirect("web:shop-home")
