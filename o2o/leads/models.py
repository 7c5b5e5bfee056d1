"""The salesperson's briefcase: an employee's leads, their notes and tags, and follow-up tasks.

A lead belongs to one employee and is either a member (FK) or a bare phone (a reader of a
shared page, an inquiry, someone typed in); the unique constraints make capturing the same
person twice return the first row. Members an employee acquired or served are their customers
without a row here: the row is created the first time the employee writes something about them.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from o2o.members.phones import mask_phone


class Source(models.TextChoices):
    ACQUIRED = "acquired", _("signed up by me")
    SERVED = "served", _("served by me")
    SHARE_OPEN = "share_open", _("opened my share")
    INQUIRY = "inquiry", _("inquiry")
    MANUAL = "manual", _("added by hand")


class Lead(models.Model):
    employee = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="leads")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="leads")
    phone = models.CharField(_("phone (E.164)"), max_length=20, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "member"], condition=Q(member__isnull=False), name="lead_one_per_member"
            ),
            models.UniqueConstraint(
                fields=["employee", "phone"], condition=Q(phone__isnull=False), name="lead_one_per_phone"
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(phone__isnull=False), name="lead_member_or_phone"
            ),
            models.CheckConstraint(
                condition=Q(phone__isnull=True) | Q(phone__regex=r"^\+[1-9][0-9]{6,14}$"), name="lead_phone_e164"
            ),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="lead_source_valid"),
        ]
        indexes = [models.Index(fields=["employee", "next_follow_up_on"], name="lead_employee_due")]

    def __str__(self) -> str:
        return self.name or (mask_phone(self.phone) if self.phone else f"lead {self.pk}")


class LeadTag(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(_("tag"), max_length=30)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "tag"], name="leadtag_unique"),
            models.CheckConstraint(condition=~Q(tag=""), name="leadtag_not_blank"),
        ]

    def __str__(self) -> str:
        return self.tag


class LeadNote(models.Model):
    """Append-only: a note is never edited or deleted (services only insert)."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="lead_notes")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="leadnote_not_blank")]

    def __str__(self) -> str:
        return self.body[:40]


class FollowUpKind(models.TextChoices):
    CALL = "call", _("call")
    VISIT = "visit", _("visit")
    MESSAGE = "message", _("message")
    SERVICE_CHECK = "service_check", _("service check")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class FollowUp(models.Model):
    Kind = FollowUpKind
    State = FollowUpState

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="follow_ups")
    employee = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="follow_ups")
    assigned_by = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="follow_ups_assigned")
    due_on = models.DateField(_("due on"))
    kind = models.CharField(_("kind"), max_length=16, choices=FollowUpKind.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=FollowUpState.choices, default=FollowUpState.OPEN)
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=FollowUpKind.values), name="followup_kind_valid"),
            models.CheckConstraint(
                condition=Q(state="open", done_at__isnull=True, cancelled_at__isnull=True)
                | Q(state="done", done_at__isnull=False, cancelled_at__isnull=True)
                | Q(state="cancelled", done_at__isnull=True, cancelled_at__isnull=False),
                name="followup_state_times",
            ),
        ]
        indexes = [
            models.Index(fields=["employee", "state", "due_on"], name="followup_employee_due"),
            models.Index(fields=["created_at"], name="followup_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on}"
