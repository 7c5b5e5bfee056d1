"""Customer service (journey 6, docs/service.md): tickets from every channel, their conversation,
SLA targets and the breaches recorded against them, agents' availability, escalation to a store,
complaints with a promised solution, remedies carried out through the other apps.

A ticket's state moves only through `o2o.service.states` by one conditional UPDATE, so two agents
racing for it cannot both move it. Due times are stored (computed from the SLA policy and the
team's business hours when the clock starts or resumes) so the inbox sorts and filters in SQL.
"""

from django.db import models
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class TicketChannel(models.TextChoices):
    CHAT = "chat", _("online chat")
    PHONE = "phone", _("phone")
    IN_STORE = "in_store", _("in store")
    REVIEW = "review", _("review")
    AFTER_SALE = "after_sale", _("after-sale request")


class TicketKind(models.TextChoices):
    INQUIRY = "inquiry", _("inquiry")
    COMPLAINT = "complaint", _("complaint")
    AFTER_SALE = "after_sale", _("after-sale")
    SUGGESTION = "suggestion", _("suggestion")
    PRAISE = "praise", _("praise")


class TicketPriority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class TicketState(models.TextChoices):
    NEW = "new", _("new")  # nobody has it yet
    OPEN = "open", _("open")  # an agent has it
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("waiting on the customer")  # the SLA clock pauses
    ESCALATED = "escalated", _("escalated to a store")  # store staff have taken it over
    RESOLVED = "resolved", _("resolved")  # a solution given; closes on the customer's word or a timeout
    CLOSED = "closed", _("closed")


class CloseReason(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed by the customer")
    TIMEOUT = "timeout", _("no answer within the confirmation window")
    NO_ACTION = "no_action", _("nothing to do")  # praise, a suggestion noted, a duplicate


class Ticket(models.Model):
    Channel = TicketChannel
    Kind = TicketKind
    Priority = TicketPriority
    State = TicketState

    number = models.CharField(_("number"), max_length=16, unique=True)  # shown to the customer
    channel = models.CharField(_("channel"), max_length=12, choices=TicketChannel.choices)
    kind = models.CharField(_("type"), max_length=12, choices=TicketKind.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    state = models.CharField(_("state"), max_length=20, choices=TicketState.choices, default=TicketState.NEW)
    subject = models.CharField(_("subject"), max_length=200)
    # who and what it is about (a phone caller may not be a member: then `phone`)
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    sku = models.ForeignKey("catalog.SKU", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    location = models.ForeignKey(
        "stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    # who works it: the online team (whose business hours run the SLA clock) and its agent
    team = models.ForeignKey("staff.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets"
    )
    # escalation: the store that has taken it over, and why
    escalated_to = models.ForeignKey(
        "stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="escalated_tickets"
    )
    escalation_reason = models.CharField(_("escalation reason"), max_length=500, blank=True)
    # feedback attribution: the employee and team the praise, suggestion or complaint concerns
    concerned_employee = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="feedback_tickets"
    )
    concerned_team = models.ForeignKey(
        "staff.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="feedback_tickets"
    )
    # complaints: what was promised to the customer, and by when
    promised_solution = models.CharField(_("promised solution"), max_length=500, blank=True)
    promised_by = models.DateTimeField(_("promised by"), null=True, blank=True)
    # the SLA clock (o2o.service.sla): due times move on when a pause ends
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    first_response_due_at = models.DateTimeField(_("first response due"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"))
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(_("last customer message"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=12, choices=CloseReason.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1-5)"), null=True, blank=True)
    # the due time that runs: first response until it is given, then resolution (the inbox's order)
    due_at = models.GeneratedField(
        expression=Case(
            When(first_response_at__isnull=True, then=F("first_response_due_at")), default=F("resolution_due_at")
        ),
        output_field=models.DateTimeField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=TicketChannel.values), name="ticket_channel_valid"),
            models.CheckConstraint(condition=Q(kind__in=TicketKind.values), name="ticket_kind_valid"),
            models.CheckConstraint(condition=Q(priority__in=TicketPriority.values), name="ticket_priority_valid"),
            models.CheckConstraint(condition=Q(state__in=TicketState.values), name="ticket_state_valid"),
            models.CheckConstraint(condition=Q(member__isnull=False) | ~Q(phone=""), name="ticket_has_a_customer"),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=r"^\+[1-9][0-9]{6,14}$"), name="ticket_phone_e164"
            ),
            models.CheckConstraint(condition=~Q(subject=""), name="ticket_subject_not_blank"),
            # someone has an open ticket; a new one nobody has
            models.CheckConstraint(
                condition=~Q(state="new") | Q(assignee__isnull=True), name="ticket_new_is_unassigned"
            ),
            models.CheckConstraint(
                condition=~Q(state="open") | Q(assignee__isnull=False), name="ticket_open_has_assignee"
            ),
            models.CheckConstraint(
                condition=Q(state="escalated", escalated_to__isnull=False) | ~Q(state="escalated"),
                name="ticket_escalated_has_store",
            ),
            models.CheckConstraint(
                condition=Q(escalated_to__isnull=True) | ~Q(escalation_reason=""), name="ticket_escalation_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(state="waiting_on_customer", paused_at__isnull=False)
                | (~Q(state="waiting_on_customer") & Q(paused_at__isnull=True)),
                name="ticket_paused_only_while_waiting",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["resolved", "closed"], resolved_at__isnull=False)
                | (~Q(state__in=["resolved", "closed"]) & Q(resolved_at__isnull=True)),
                name="ticket_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=Q(state="closed", closed_at__isnull=False) & ~Q(close_reason="")
                | ~Q(state="closed") & Q(closed_at__isnull=True, close_reason=""),
                name="ticket_closed_has_time_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(close_reason="") | Q(close_reason__in=CloseReason.values), name="ticket_close_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(promised_by__isnull=True) | ~Q(promised_solution=""), name="ticket_promise_has_solution"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True) | Q(first_response_at__gte=F("created_at")),
                name="ticket_first_response_after_creation",
            ),
        ]
        indexes = [
            # the inbox: open work by due time, and each agent's queue
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(state__in=["new", "open", "escalated"]),
                name="ticket_open_by_due",
            ),
            models.Index(fields=["resolution_due_at"], condition=~Q(state="closed"), name="ticket_unclosed_by_due"),
            models.Index(fields=["assignee", "state"], name="ticket_assignee_state"),
            models.Index(fields=["escalated_to", "state"], name="ticket_store_state"),
            models.Index(fields=["member", "created_at"], name="ticket_member_created"),
            models.Index(fields=["phone"], condition=~Q(phone=""), name="ticket_caller_phone"),  # inbox search
            models.Index(fields=["created_at"], name="ticket_created"),
            # the inbox (o2o.service.selectors.inbox): unfinished work by the due time that runs
            models.Index(
                fields=["due_at", "id"],
                condition=Q(state__in=["new", "open", "waiting_on_customer", "escalated"]),
                name="ticket_inbox_by_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", _("customer")
    AGENT = "agent", _("agent")  # an online agent or the store staff who took it over
    SYSTEM = "system", _("automatic")  # the acknowledgement, SLA notices


class TicketMessage(models.Model):
    """Append-only: a message is never edited or deleted (services only insert)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="messages")
    author_kind = models.CharField(_("from"), max_length=10, choices=AuthorKind.choices)
    author = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="ticket_messages"
    )
    body = models.TextField(_("message"))
    article = models.ForeignKey(
        "knowledge.Article", null=True, blank=True, on_delete=models.PROTECT, related_name="linked_in_messages"
    )
    internal = models.BooleanField(_("internal note"), default=False)  # staff only, never shown to the customer
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="ticketmessage_not_blank"),
            models.CheckConstraint(condition=Q(author_kind__in=AuthorKind.values), name="ticketmessage_kind_valid"),
            models.CheckConstraint(
                condition=Q(author_kind="agent", author__isnull=False)
                | ~Q(author_kind="agent") & Q(author__isnull=True),
                name="ticketmessage_agent_has_author",
            ),
            models.CheckConstraint(
                condition=Q(internal=False) | Q(author_kind="agent"), name="ticketmessage_internal_by_staff"
            ),
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketmessage_ticket_time")]

    def __str__(self) -> str:
        return self.body[:40]


class TicketEventKind(models.TextChoices):
    CREATED = "created", _("created")
    ACKNOWLEDGED = "acknowledged", _("acknowledged automatically")
    ASSIGNED = "assigned", _("assigned")
    FIRST_RESPONSE = "first_response", _("first response")
    PAUSED = "paused", _("waiting on the customer")
    RESUMED = "resumed", _("resumed")
    ESCALATED = "escalated", _("escalated to a store")
    RETURNED = "returned", _("returned to online service")
    PROMISED = "promised", _("solution promised")
    REMEDIED = "remedied", _("remedy carried out")
    RESOLVED = "resolved", _("resolved")
    REOPENED = "reopened", _("reopened")
    CLOSED = "closed", _("closed")
    ATTRIBUTED = "attributed", _("feedback attributed")
    RECLASSIFIED = "reclassified", _("type or priority changed")  # the SLA clock restarted from creation


class TicketEvent(models.Model):
    """The ticket's history, append-only: who did what when (reports and the audit read it)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("what"), max_length=16, choices=TicketEventKind.choices)
    actor = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="ticket_events"
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TicketEventKind.values), name="ticketevent_kind_valid"),
            # the automatic acknowledgement and the first response happen once per ticket
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=Q(kind__in=["acknowledged", "first_response"]),
                name="ticketevent_once_per_ticket",
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "at"], name="ticketevent_ticket_time"),
            models.Index(fields=["kind", "at"], name="ticketevent_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class SlaPolicy(models.Model):
    """First-response and resolution targets for a ticket type and priority, in business minutes
    of the ticket's team (o2o.service.sla). A data migration seeds every pair (5 minutes first
    response by default)."""

    kind = models.CharField(_("type"), max_length=12, choices=TicketKind.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=TicketPriority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    warn_before_minutes = models.PositiveIntegerField(_("warn this many minutes before a breach"), default=2)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["kind", "priority"], name="slapolicy_one_per_kind_priority"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gte=1), name="slapolicy_first_response_positive"
            ),
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=F("first_response_minutes")),
                name="slapolicy_resolution_after_first_response",
            ),
            models.CheckConstraint(
                condition=Q(warn_before_minutes__lt=F("first_response_minutes")), name="slapolicy_warning_before_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.priority}"


class BusinessHours(models.Model):
    """One opening interval of a team on a weekday (0 Monday .. 6 Sunday), local time. A team
    without rows works around the clock."""

    team = models.ForeignKey("staff.Team", on_delete=models.CASCADE, related_name="business_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["team", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="businesshours_weekday_0_6"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="businesshours_closes_after_opens"),
            models.UniqueConstraint(fields=["team", "weekday", "opens"], name="businesshours_unique_interval"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}"


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("first response")
    RESOLUTION = "resolution", _("resolution")


class SlaAlertKind(models.TextChoices):
    WARNING = "warning", _("about to breach")
    BREACH = "breach", _("breached")


class SlaAlert(models.Model):
    """A warning before a due time and the breach after it, each recorded once per ticket and
    target (the periodic sweep and a retry write nothing twice)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="sla_alerts")
    target = models.CharField(_("target"), max_length=16, choices=SlaTarget.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=SlaAlertKind.choices)
    due_at = models.DateTimeField(_("was due at"))
    at = models.DateTimeField(_("recorded at"))
    assignee = models.ForeignKey(  # who had it then: attainment by agent reads this
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="sla_alerts"
    )
    team = models.ForeignKey("staff.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="sla_alerts")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target", "kind"], name="slaalert_once"),
            models.CheckConstraint(condition=Q(target__in=SlaTarget.values), name="slaalert_target_valid"),
            models.CheckConstraint(condition=Q(kind__in=SlaAlertKind.values), name="slaalert_kind_valid"),
        ]
        indexes = [models.Index(fields=["kind", "at"], name="slaalert_kind_time")]

    def __str__(self) -> str:
        return f"{self.target} {self.kind}"


class AgentPresence(models.Model):
    """An online agent's availability for assignment, and their place in the round robin."""

    employee = models.OneToOneField("staff.Employee", on_delete=models.CASCADE, related_name="service_presence")
    available = models.BooleanField(_("available"), default=False)
    max_open_tickets = models.PositiveSmallIntegerField(_("most open tickets at once"), default=20)
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(max_open_tickets__gte=1), name="agentpresence_capacity")]
        indexes = [models.Index(fields=["available", "last_assigned_at"], name="agentpresence_round_robin")]

    def __str__(self) -> str:
        return f"{self.employee_id} {'available' if self.available else 'away'}"


class RemedyKind(models.TextChoices):
    COUPON = "coupon", _("apology coupon")
    REFUND = "refund", _("refund")
    REDELIVERY = "redelivery", _("re-delivery")


class Remedy(models.Model):
    """A remedy carried out for a ticket through the app that owns it (a coupon granted, a refund
    paid, a replacement order), with what it produced. One per ticket and idempotency key."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="remedies")
    kind = models.CharField(_("remedy"), max_length=12, choices=RemedyKind.choices)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **money_field_kwargs())
    reference = models.CharField(_("reference"), max_length=64)  # the coupon, refund or order it produced
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="remedies")
    key = models.CharField(_("idempotency key"), max_length=80)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name_plural = _("remedies")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "key"], name="remedy_once_per_key"),
            models.CheckConstraint(condition=Q(kind__in=RemedyKind.values), name="remedy_kind_valid"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gt=0), name="remedy_amount_positive"),
            models.CheckConstraint(condition=~Q(reference=""), name="remedy_has_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"
