from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from o2o.members.phones import mask_phone


class MemberLevel(models.Model):
    """A member level (e.g. silver, gold) reached by growth value: yuan spent over the last 12 months.

    Its benefits are read by pricing (a member discount as a discount line, free delivery) and
    by loyalty (the points multiplier). Levels are re-assigned by loyalty's nightly job."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("Higher is better."))
    min_growth = models.PositiveIntegerField(_("growth value needed"), help_text=_("Yuan spent in 12 months."))
    discount_percent = models.DecimalField(_("member discount (%)"), max_digits=5, decimal_places=2, default=Decimal(0))
    points_multiplier = models.DecimalField(_("points multiplier"), max_digits=4, decimal_places=2, default=Decimal(1))
    free_delivery = models.BooleanField(_("free delivery"), default=False)

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lt=100), name="memberlevel_discount_range"
            ),
            models.CheckConstraint(condition=Q(points_multiplier__gte=1), name="memberlevel_multiplier_at_least_1"),
            models.UniqueConstraint(fields=["min_growth"], name="memberlevel_one_per_threshold"),
        ]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    class RegistrationChannel(models.TextChoices):
        APP = "app", _("app")
        H5 = "h5", _("H5 web")
        STORE_QR = "store_qr", _("store QR code")
        POS = "pos", _("at the counter")
        SHARE_LINK = "share_link", _("employee share link")

    phone = models.CharField(_("phone (E.164)"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    marketing_consent = models.BooleanField(_("agrees to marketing messages"), default=False)
    # Recorded only when the person gave it: when, and where (e.g. "store_qr:SH001", "pos").
    marketing_consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    marketing_consent_source = models.CharField(_("consent given through"), max_length=40, blank=True)
    registration_channel = models.CharField(_("registered through"), max_length=16, choices=RegistrationChannel.choices)
    acquiring_location = models.ForeignKey(
        "stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="acquired_members"
    )
    acquiring_employee = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="acquired_members"
    )
    level = models.ForeignKey(
        MemberLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="members", verbose_name=_("level")
    )
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True, db_index=True)
    # Set when the member deleted their account: personal fields were anonymised, the books kept.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.CheckConstraint(condition=Q(phone__regex=r"^\+[1-9][0-9]{6,14}$"), name="member_phone_e164"),
            models.CheckConstraint(
                condition=Q(marketing_consent=False) | Q(marketing_consent_at__isnull=False),
                name="member_consent_has_time",
            ),
        ]

    def __str__(self) -> str:
        # str() reaches lists, logs and the admin: never the whole phone number.
        return self.name or mask_phone(self.phone)


class OneTimeCode(models.Model):
    """A sign-in code sent to a phone; only its hash is kept."""

    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(failed_attempts__lte=5), name="otp_attempts_capped"),
        ]

    def __str__(self) -> str:
        return f"code for {self.phone}"
