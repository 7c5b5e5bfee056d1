"""The member's rewards pages: "Invite friends" (share link + QR, my referrals masked, my rewards),
the share link's landing page (a new customer joins with a proven phone), a red packet's claim page
and a store's check-in page (a walk-in joins there first). Every rule is in `o2o.rewards`."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ratelimits import client_address
from o2o.core.site import absolute_url
from o2o.members.services import send_sign_in_code
from o2o.members.sessions import start_member_session
from o2o.rewards import selectors, services
from o2o.rewards.models import RedPacket
from o2o.web.auth import current_member, member_page
from o2o.web.manager.join_links import qr_data_uri
from o2o.web.storefront.pages import render_shop

T = "web/storefront/"
SHOWN = 100
DEVICE_COOKIE = "o2o_device"  # a random id per browser: the referral fraud guard counts it once
DEVICE_COOKIE_AGE = 5 * 365 * 24 * 3600


class PhoneForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile phone"), max_length=32)
    code = forms.CharField(label=gettext_lazy("Code sent to the phone"), max_length=16, required=False)
    marketing_consent = forms.BooleanField(label=gettext_lazy("Send me offers"), required=False)


def _problem(error: DomainError) -> str:
    return {
        ErrorCode.INVALID_CODE: _("Wrong or expired code."),
        ErrorCode.INVALID_PHONE: _("This is not a mobile number."),
        ErrorCode.RATE_LIMITED: _("Too many attempts. Wait a minute, then try again."),
        ErrorCode.SELF_REFERRAL: _("This is your own invitation: share it with a friend."),
        ErrorCode.NOT_A_NEW_MEMBER: _("You are a member already: invitations are for new customers. Sign in instead."),
        ErrorCode.REWARD_NOT_OPEN: _("This offer is not open now."),
        ErrorCode.REWARD_HELD_OUT: _("This offer is not available to you."),
        ErrorCode.REWARD_ALREADY_CLAIMED: _("You have this reward already."),
        ErrorCode.RED_PACKET_EMPTY: _("Sorry, this red packet is all gone."),
        ErrorCode.MEMBER_ANONYMISED: _("This account was deleted."),
    }.get(error.code, _("This did not work. Try again."))


def _send_code(request: HttpRequest, form: PhoneForm) -> None:
    try:
        send_sign_in_code(phone=form.cleaned_data["phone"], client=client_address(request))
    except DomainError as error:
        messages.error(request, _problem(error))
    else:
        messages.info(request, _("A code is on its way to your phone."))


# --- invite friends ---------------------------------------------------------------------------


@member_page
def invite(request: HttpRequest) -> HttpResponse:
    code = services.my_share_code(actor=request.actor).code
    link = absolute_url(reverse("web:shop-referral", kwargs={"code": code}), request)
    referrals = [
        (selectors.mask_phone(r.friend.phone), r) for r in selectors.my_referrals(actor=request.actor)[:SHOWN]
    ]
    context = {
        "link": link,
        "qr": qr_data_uri(link),
        "referrals": referrals,
        "grants": list(selectors.my_reward_grants(actor=request.actor)[:SHOWN]),
        "programme": services.running_programme(),
    }
    return render_shop(request, f"{T}rewards_invite.html", context, nav="invite")


def referral_landing(request: HttpRequest, code: str) -> HttpResponse:
    """A friend opens the share link: join with a proven phone (then signed in)."""
    try:
        referrer = services.referrer_by_code(code)
    except DomainError:
        raise Http404 from None
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "send" or not form.cleaned_data["code"]:
            _send_code(request, form)
        else:
            try:
                member, _referral = services.sign_up_with_referral(
                    phone=form.cleaned_data["phone"],
                    code=form.cleaned_data["code"],
                    referral_code=code,
                    device_id=request.COOKIES.get(DEVICE_COOKIE, ""),
                    marketing_consent=form.cleaned_data["marketing_consent"],
                    client=client_address(request),
                )
            except DomainError as error:
                messages.error(request, _problem(error))
            else:
                start_member_session(request, member)
                messages.success(request, _("Welcome! Your first order earns you and your friend a reward."))
                return redirect("web:shop-home")
    programme = services.running_programme()
    context = {"form": form, "referrer": selectors.mask_phone(referrer.phone), "programme": programme}
    response = render_shop(request, f"{T}rewards_referral.html", context)
    if DEVICE_COOKIE not in request.COOKIES:
        response.set_cookie(DEVICE_COOKIE, new_token(), max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax")
    return response


# --- red packets ------------------------------------------------------------------------------


@member_page
def red_packet(request: HttpRequest, code: str) -> HttpResponse:
    packet = RedPacket.objects.filter(code=code.strip().upper()).first()
    if packet is None:
        raise Http404
    if request.method == "POST":
        try:
            share = services.claim_red_packet(actor=request.actor, code=code)
        except DomainError as error:
            messages.error(request, _problem(error))
        else:
            if share.amount:
                text = _("You got ¥%(amount)s in your wallet.") % {"amount": share.amount}
            else:
                text = _("You got a coupon. Find it in My coupons.")
            messages.success(request, text)
        return redirect("web:shop-red-packet", code=packet.code)
    mine = packet.cut_shares.filter(member=request.member).first()
    return render_shop(request, f"{T}rewards_red_packet.html", {"packet": packet, "mine": mine})


# --- check-in ---------------------------------------------------------------------------------


def check_in(request: HttpRequest, code: str) -> HttpResponse:
    """A store's check-in QR: a signed-in member checks in with one tap; anyone else joins first."""
    try:
        point = services.open_point(code)
    except DomainError:
        raise Http404 from None
    member = current_member(request)
    form = PhoneForm(request.POST or None)
    if request.method == "POST":
        if member is not None:
            _check_in_member(request, member, point.code)
        elif form.is_valid():
            if request.POST.get("action") == "send" or not form.cleaned_data["code"]:
                _send_code(request, form)
            else:
                _join_and_check_in(request, form, point.code)
                return redirect("web:shop-check-in", code=point.code)
        if member is not None:
            return redirect("web:shop-check-in", code=point.code)
    return render_shop(request, f"{T}rewards_check_in.html", {"point": point, "form": form, "member": member})


def _check_in_member(request: HttpRequest, member, code: str) -> None:
    from o2o.access.actors import actor_for_member

    try:
        services.check_in(actor=actor_for_member(member), code=code)
    except DomainError as error:
        messages.error(request, _problem(error))
    else:
        messages.success(request, _("Checked in. Your reward is in your account."))


def _join_and_check_in(request: HttpRequest, form: PhoneForm, code: str) -> None:
    try:
        member, _visit = services.join_and_check_in(
            phone=form.cleaned_data["phone"],
            code=form.cleaned_data["code"],
            point_code=code,
            marketing_consent=form.cleaned_data["marketing_consent"],
            client=client_address(request),
        )
    except DomainError as error:
        messages.error(request, _problem(error))
    else:
        start_member_session(request, member)
        messages.success(request, _("Welcome! Checked in. Your reward is in your account."))
