from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A message that leaves the process (SMS, e-mail, webhook), written in the same transaction
    as the change that caused it and delivered after commit by a task."""

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
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "sent", "failed"]), name="outbox_state_valid"
            )
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
