from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    """A bearer token of a staff user or a member; only the SHA-256 of the token is stored."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, member__isnull=True) | Q(user__isnull=True, member__isnull=False),
                name="apitoken_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"token of {self.user_id or self.member_id}"
