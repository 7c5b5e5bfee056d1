from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A message that leaves the process (SMS, e-mail, webhook), written in the same transaction
    as the change that caused it and delivered after commit by a task; a message the backend
    could not take is retried with backoff by the periodic sweep, and given up after N tries."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    channel = models.CharField(_("channel"), max_length=16)  # sms, email, webhook
    recipient = models.CharField(_("recipient"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"), help_text=_("The text; a one-time code in it stands as {secret}."))
    # A one-time code or link token, kept apart from the text so that the back office and the
    # logs never show it, and wiped once the message is delivered or given up.
    secret = models.CharField(max_length=64, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # A pending message is due from this time: set to later by each failed try (backoff) and,
    # while a sender holds it, by the sender's lease.
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_default=Now())
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["next_attempt_at"], condition=models.Q(state="pending"), name="outbox_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "sent", "failed"]), name="outbox_state_valid"
            ),
            # A code lives only as long as its message may still go out.
            models.CheckConstraint(
                condition=models.Q(state="pending") | models.Q(secret=""), name="outbox_secret_only_while_pending"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="sent") | models.Q(sent_at__isnull=False), name="outbox_sent_has_time"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="failed") | models.Q(failed_at__isnull=False),
                name="outbox_failed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} -> {self.recipient}"

    def text(self) -> str:
        """What the recipient reads: the body with the secret filled in (for backends only)."""
        return self.body.replace("{secret}", self.secret)


class RateLimitCounter(models.Model):
    """Hits of one rate-limit key in one fixed time window, shared by every web process.

    Changed only by one upsert (`INSERT ... ON CONFLICT DO UPDATE SET hits = hits + 1`), so
    concurrent processes never lose a hit."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField(help_text="Unix time the window began.")
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_one_row_per_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}: {self.hits}"


class IdempotencyRecord(models.Model):
    """The first result of a request that moved money or stock, kept under the caller's key:
    a retry with the same key gets that result back instead of doing the work again."""

    scope = models.CharField(max_length=40, help_text="Who asked: user:<id> or member:<id>.")
    operation = models.CharField(max_length=40)
    key = models.CharField(max_length=80)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request, to refuse a reused key.")
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "operation", "key"], name="idempotency_key_once_per_scope")
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.scope}:{self.key}"


class PeriodicJobRun(models.Model):
    """When a periodic job last ran and is next due, shared by every scheduler process.

    A scheduler claims a due job by one conditional UPDATE (`WHERE next_run_at <= now`), so two
    schedulers never run it twice, and a restarted scheduler carries on where the last one was."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    every_seconds = models.PositiveIntegerField(_("every (seconds)"))
    next_run_at = models.DateTimeField(_("next run at"))
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)
    last_run_by = models.CharField(_("last run by"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")
        constraints = [models.CheckConstraint(condition=models.Q(every_seconds__gt=0), name="periodic_every_positive")]

    def __str__(self) -> str:
        return self.name


class SchedulerHeartbeat(models.Model):
    """The last sign of life of each scheduler process (host:pid), written every tick; readiness
    and the HQ dashboard call the scheduler stale when the newest one is too old."""

    scheduler = models.CharField(_("scheduler"), max_length=200, unique=True)
    beat_at = models.DateTimeField(_("beat at"), db_index=True)

    class Meta:
        verbose_name = _("scheduler heartbeat")
        verbose_name_plural = _("scheduler heartbeats")

    def __str__(self) -> str:
        return f"{self.scheduler} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class ReferenceVersion(models.Model):
    """One row per kind of reference data cached in each process (`o2o.core.versioned`): bumped in
    the transaction of every write of that data, so every process knows its snapshot is stale."""

    name = models.CharField(primary_key=True, max_length=40)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
