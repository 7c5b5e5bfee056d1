"""Follow-up visits (回访, docs/aftercare.md): after a sale is handed over or a service ticket is
closed, customer service (or the store) calls the customer back or sends a short survey link.

- FollowUpPolicy says when and how: a delay in days and a channel per category (the most specific
  category wins: the SKU's category, then its parents, then the default row without a category).
- FollowUpVisit is one visit: one per order and one per ticket (UNIQUE), so the periodic job and
  the ticket handler can run twice, or race, and write nothing twice. It is claimed by one agent
  by a conditional UPDATE, called up to `O2O_FOLLOWUP_MAX_ATTEMPTS` times, or answered by the
  customer through a single-use link (only the token's SHA-256 is stored).
- SurveyResponse is the answer (one per visit: the first stands), credited to the employee and
  team it rates; the boss view averages them (o2o.aftercare.selectors.scores_by_employee/team).
"""

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _


class FollowUpChannel(models.TextChoices):
    PHONE = "phone", _("phone call")
    MESSAGE = "message", _("message with a survey link")


class FollowUpPolicy(models.Model):
    """When a visit falls due after a sale of this category (and its sub-categories without a
    policy of their own); the row without a category is the default. An inactive policy means
    "no visit" for its categories, whatever the default says."""

    category = models.ForeignKey(
        "catalog.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_up_policies",
        verbose_name=_("category"),
    )
    delay_days = models.PositiveSmallIntegerField(_("days after hand-over"))
    channel = models.CharField(_("channel"), max_length=8, choices=FollowUpChannel.choices)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up policy")
        verbose_name_plural = _("follow-up policies")
        constraints = [
            # one row per category, and one default (NULL would not collide in a plain UNIQUE)
            models.UniqueConstraint(Coalesce("category", Value(0)), name="followuppolicy_one_per_category"),
            models.CheckConstraint(condition=Q(delay_days__lte=365), name="followuppolicy_delay_within_a_year"),
            models.CheckConstraint(
                condition=Q(channel__in=FollowUpChannel.values), name="followuppolicy_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id or 'default'}: +{self.delay_days}d {self.channel}"


class VisitState(models.TextChoices):
    OPEN = "open", _("to do")
    DONE = "done", _("done")
    UNREACHABLE = "unreachable", _("unreachable")
    CANCELLED = "cancelled", _("cancelled")


class FollowUpVisit(models.Model):
    Channel = FollowUpChannel
    State = VisitState

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="follow_up_visits")
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up_visits"
    )
    ticket = models.ForeignKey(
        "service.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up_visits"
    )
    # The store the visit belongs to (store staff work their own store's visits); null: online only.
    location = models.ForeignKey(
        "stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up_visits"
    )
    due_on = models.DateField(_("due on"))
    channel = models.CharField(_("channel"), max_length=8, choices=FollowUpChannel.choices)
    state = models.CharField(_("state"), max_length=12, choices=VisitState.choices, default=VisitState.OPEN)
    assigned_to = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up_visits"
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("call attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    outcome_note = models.CharField(_("outcome"), max_length=1000, blank=True)
    done_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The survey link sent by message: only the SHA-256 of the token is kept; used once.
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    token_expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)
    token_used_at = models.DateTimeField(_("link used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        constraints = [
            models.CheckConstraint(
                condition=Q(order__isnull=False, ticket__isnull=True) | Q(order__isnull=True, ticket__isnull=False),
                name="followupvisit_order_or_ticket",
            ),
            models.UniqueConstraint(
                fields=["order"], condition=Q(order__isnull=False), name="followupvisit_one_per_order"
            ),
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ticket__isnull=False), name="followupvisit_one_per_ticket"
            ),
            models.CheckConstraint(condition=Q(state__in=VisitState.values), name="followupvisit_state_valid"),
            models.CheckConstraint(condition=Q(channel__in=FollowUpChannel.values), name="followupvisit_channel_valid"),
            models.CheckConstraint(
                condition=Q(state__in=["done", "unreachable", "cancelled"], done_at__isnull=False)
                | Q(state="open", done_at__isnull=True),
                name="followupvisit_finished_has_time",
            ),
            models.CheckConstraint(
                condition=Q(assigned_to__isnull=True, claimed_at__isnull=True)
                | Q(assigned_to__isnull=False, claimed_at__isnull=False),
                name="followupvisit_claim_has_time",
            ),
            models.CheckConstraint(condition=Q(attempts__lte=20), name="followupvisit_attempts_bounded"),
            models.CheckConstraint(
                condition=Q(token_hash__isnull=True, token_expires_at__isnull=True)
                | Q(token_hash__isnull=False, token_expires_at__isnull=False),
                name="followupvisit_token_has_expiry",
            ),
            models.CheckConstraint(
                condition=Q(token_used_at__isnull=True) | Q(token_hash__isnull=False), name="followupvisit_used_token"
            ),
        ]
        indexes = [
            models.Index(fields=["due_on"], condition=Q(state="open"), name="followupvisit_open_due"),
            models.Index(fields=["location", "due_on"], condition=Q(state="open"), name="followupvisit_store_due"),
            models.Index(fields=["assigned_to", "state"], name="followupvisit_assignee_state"),
            models.Index(fields=["member", "created_at"], name="followupvisit_member_created"),
        ]

    def __str__(self) -> str:
        return f"visit {self.pk} ({self.state}, due {self.due_on})"


class AnsweredBy(models.TextChoices):
    AGENT = "agent", _("by the agent on the phone")
    CUSTOMER = "customer", _("by the customer through the link")


class SurveyResponse(models.Model):
    """The visit's survey, once (the first answer stands: OneToOne). Append-only."""

    visit = models.OneToOneField(FollowUpVisit, on_delete=models.PROTECT, related_name="survey")
    score = models.PositiveSmallIntegerField(_("score (1-5)"))
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    rated_employee = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="survey_ratings"
    )
    rated_team = models.ForeignKey(
        "staff.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="survey_ratings"
    )
    answered_by = models.CharField(_("answered"), max_length=8, choices=AnsweredBy.choices)
    recorded_by = models.ForeignKey(  # the agent who took the answer on the phone
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="surveys_recorded"
    )
    complaint_ticket = models.ForeignKey(  # opened for a low score
        "service.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="surveyresponse_score_1_to_5"),
            models.CheckConstraint(condition=Q(answered_by__in=AnsweredBy.values), name="surveyresponse_by_valid"),
            models.CheckConstraint(
                condition=Q(answered_by="agent", recorded_by__isnull=False)
                | Q(answered_by="customer", recorded_by__isnull=True),
                name="surveyresponse_agent_recorded",
            ),
        ]
        indexes = [
            models.Index(fields=["rated_employee", "answered_at"], name="surveyresponse_employee_time"),
            models.Index(fields=["rated_team", "answered_at"], name="surveyresponse_team_time"),
            models.Index(fields=["answered_at"], name="surveyresponse_time"),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5"
