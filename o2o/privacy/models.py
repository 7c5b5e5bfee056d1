from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MarketingConsentRecord(models.Model):
    """One decision about marketing messages: given or withdrawn, when and through what.

    Append-only: the member's current answer is cached on Member.marketing_consent (with the time
    and source of the latest decision); this table is the history PIPL asks us to be able to show."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="consent_records", verbose_name=_("member")
    )
    given = models.BooleanField(_("given"))
    at = models.DateTimeField(_("at"))
    source = models.CharField(_("through"), max_length=40)

    class Meta:
        verbose_name = _("marketing consent record")
        verbose_name_plural = _("marketing consent records")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["member", "at"], name="consentrecord_member_at")]
        constraints = [models.CheckConstraint(condition=~Q(source=""), name="consentrecord_has_source")]

    def __str__(self) -> str:
        return f"{self.member_id}: {'given' if self.given else 'withdrawn'} @ {self.at:%Y-%m-%d %H:%M}"


class DataRightsEvent(models.Model):
    """A member exercised a data right: downloaded their data, or deleted their account (the
    access log of personal data leaving the system, kept after the account is anonymised)."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("data downloaded")
        DELETION = "deletion", _("account deleted")

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="data_rights_events", verbose_name=_("member")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    via = models.CharField(_("through"), max_length=10, help_text=_("api or web"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("data rights event")
        verbose_name_plural = _("data rights events")
        indexes = [models.Index(fields=["member", "at"], name="datarightsevent_member_at")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["export", "deletion"]), name="datarightsevent_kind_valid"),
            # An account is deleted once.
            models.UniqueConstraint(
                fields=["member"], condition=Q(kind="deletion"), name="datarightsevent_one_deletion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M}"
