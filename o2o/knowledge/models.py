"""The knowledge base (docs/knowledge.md): articles agents and staff read while they work, each
for the roles it names, searchable by full text (SQLite FTS5 / PostgreSQL), linkable into a
ticket's reply."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_CATEGORY = 50
MAX_TAGS = 10
MAX_TAG = 30


class Article(models.Model):
    """The current text of an article. Every change (the first one included) is also kept as an
    ArticleVersion; `version` is the number of the newest one and only grows, by a conditional
    UPDATE that names the version the author edited (a stale edit is a 409, never lost)."""

    title = models.CharField(_("title"), max_length=MAX_TITLE)
    body = models.TextField(_("body"))
    # what it is about, for browsing ("returns", "SOP: opening the store"); free text, may be blank
    category = models.CharField(_("category"), max_length=MAX_CATEGORY, blank=True, default="")
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # the roles that may read it (staff.Role values); empty: every staff role
    roles = models.JSONField(_("readable by roles"), default=list, blank=True)
    published = models.BooleanField(_("published"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("updated by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="article_title_not_blank"),
            models.CheckConstraint(condition=~Q(body=""), name="article_body_not_blank"),
            models.CheckConstraint(condition=Q(version__gte=1), name="article_version_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def readable_by(self, role: str) -> bool:
        return not self.roles or role in self.roles


class ArticleVersion(models.Model):
    """One version of an article as its author saved it: append-only (never updated or deleted
    while the article lives), so any earlier text can be shown and compared."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="versions", verbose_name=_("article"))
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=MAX_TITLE)
    body = models.TextField(_("body"))
    category = models.CharField(_("category"), max_length=MAX_CATEGORY, blank=True, default="")
    tags = models.JSONField(_("tags"), default=list, blank=True)
    roles = models.JSONField(_("readable by roles"), default=list, blank=True)
    published = models.BooleanField(_("published"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("edited by")
    )
    edited_at = models.DateTimeField(_("edited at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = [F("article_id").asc(), "-version"]
        constraints = [
            models.UniqueConstraint(fields=["article", "version"], name="article_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="article_version_number_positive"),
            models.CheckConstraint(condition=~Q(title=""), name="article_version_title_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"
