"""The knowledge base (docs/knowledge.md): articles agents and staff read while they work, each
for the roles it names, searchable by full text (SQLite FTS5 / PostgreSQL), linkable into a
ticket's reply."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Article(models.Model):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    # the roles that may read it (staff.Role values); empty: every staff role
    roles = models.JSONField(_("readable by roles"), default=list, blank=True)
    published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="article_title_not_blank"),
            models.CheckConstraint(condition=~Q(body=""), name="article_body_not_blank"),
        ]

    def __str__(self) -> str:
        return self.title
