from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
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


TAG_MAX_LENGTH = 40
NOTE_MAX_LENGTH = 2000


class TagSource(models.TextChoices):
    MANUAL = "manual", _("by hand")
    RULE = "rule", _("by a rule")


class MemberTag(models.Model):
    """A chain-level tag on a member (unlike an employee's own lead tags): put on by hand by staff,
    or by a tag rule (marketing.TagRule over a segment), which adds and removes its tags in bulk.

    One tag of a name per member: a rule does not take over a tag someone put on by hand. The rule
    lives in marketing, above this app; the foreign key is by name only (no import), so a rule's
    tags go with it (CASCADE)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tags", verbose_name=_("member"))
    tag = models.CharField(_("tag"), max_length=TAG_MAX_LENGTH)
    source = models.CharField(_("source"), max_length=8, choices=TagSource.choices)
    rule = models.ForeignKey(
        "marketing.TagRule", null=True, blank=True, on_delete=models.CASCADE, related_name="member_tags"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("member tag")
        verbose_name_plural = _("member tags")
        ordering = ["tag"]
        constraints = [
            models.UniqueConstraint(fields=["member", "tag"], name="membertag_once_per_member"),
            models.CheckConstraint(condition=~Q(tag=""), name="membertag_not_blank"),
            models.CheckConstraint(
                condition=Q(source=TagSource.MANUAL, rule__isnull=True)
                | Q(source=TagSource.RULE, rule__isnull=False, added_by__isnull=True),
                name="membertag_source_matches_rule",
            ),
        ]
        indexes = [models.Index(fields=["tag", "member"], name="membertag_by_tag")]

    def __str__(self) -> str:
        return self.tag


class MemberNote(models.Model):
    """A staff note about a member: append-only (no edit, no delete), staff only, never given to
    marketing. The member's data export includes them; deleting the account blanks their bodies."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="notes", verbose_name=_("member"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)
    at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("member note")
        verbose_name_plural = _("member notes")
        ordering = ["-at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="membernote_not_blank")]
        indexes = [models.Index(fields=["member", "at"], name="membernote_member_at")]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.at:%Y-%m-%d %H:%M}"
