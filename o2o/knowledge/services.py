"""Writes of the knowledge base (docs/knowledge.md): authors create and edit articles; every save
is kept as a new ArticleVersion, and the article's version moves on only by a conditional UPDATE
naming the version the author started from."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.knowledge.models import MAX_BODY, MAX_CATEGORY, MAX_TAG, MAX_TAGS, MAX_TITLE, Article, ArticleVersion
from o2o.staff.models import Role


@dataclass(frozen=True)
class ArticleSpec:
    title: str
    body: str
    category: str = ""
    tags: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)  # staff.Role values; empty: every staff role
    published: bool = True

    def cleaned(self) -> "ArticleSpec":
        """The spec with white space trimmed, tags and roles deduplicated in order; a 422 when a
        rule is broken (the API checks lengths first, the pages and scripts come here too)."""
        title, body, category = self.title.strip(), self.body.strip(), self.category.strip()
        tags = list(dict.fromkeys(t.strip() for t in self.tags if t.strip()))
        roles = list(dict.fromkeys(self.roles))
        if not title or len(title) > MAX_TITLE:
            raise DomainError(ErrorCode.INVALID, f"a title has 1 to {MAX_TITLE} characters", field="title")
        if not body or len(body) > MAX_BODY:
            raise DomainError(ErrorCode.INVALID, f"a body has 1 to {MAX_BODY} characters", field="body")
        if len(category) > MAX_CATEGORY:
            raise DomainError(ErrorCode.INVALID, f"a category has at most {MAX_CATEGORY} characters", field="category")
        if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
            raise DomainError(ErrorCode.INVALID, f"at most {MAX_TAGS} tags of {MAX_TAG} characters", field="tags")
        if unknown := [r for r in roles if r not in Role.values]:
            raise DomainError(ErrorCode.INVALID, "unknown roles", field="roles", roles=unknown)
        return ArticleSpec(title=title, body=body, category=category, tags=tags, roles=roles, published=self.published)


def _record_version(*, article: Article, actor: Actor) -> None:
    ArticleVersion.objects.create(
        article=article, version=article.version, title=article.title, body=article.body, category=article.category,
        tags=article.tags, roles=article.roles, published=article.published, edited_by=actor.user,
    )  # fmt: skip


def create_article(*, actor: Actor, spec: ArticleSpec, idempotency_key: str | None = None) -> Article:
    """A new article (version 1); the same Idempotency-Key returns the same article."""
    authorize(actor, Operation.MANAGE_KNOWLEDGE)
    spec = spec.cleaned()

    def perform() -> dict:
        article = Article.objects.create(
            title=spec.title, body=spec.body, category=spec.category, tags=spec.tags, roles=spec.roles,
            published=spec.published, created_by=actor.user, updated_by=actor.user,
        )  # fmt: skip
        _record_version(article=article, actor=actor)
        return {"article_id": article.pk}

    result = run_once(
        scope=actor.idempotency_scope,
        operation="knowledge.create_article",
        key=idempotency_key,
        fingerprint=fingerprint(**spec.__dict__),
        perform=perform,
    )
    return Article.objects.get(pk=result["article_id"])


@transaction.atomic(durable=True)
def edit_article(*, actor: Actor, article_id: int, spec: ArticleSpec, expected_version: int) -> Article:
    """Replace the article's text (and audience, publication) with a new version. The author names
    the version they edited: when someone saved in between, nothing is written and it is a 409
    with the current version, so no edit is silently lost."""
    authorize(actor, Operation.MANAGE_KNOWLEDGE)
    spec = spec.cleaned()
    changed = Article.objects.filter(pk=article_id, version=expected_version).update(
        title=spec.title, body=spec.body, category=spec.category, tags=spec.tags, roles=spec.roles,
        published=spec.published, updated_by=actor.user, version=F("version") + 1,
    )  # fmt: skip
    if not changed:
        current = Article.objects.filter(pk=article_id).values_list("version", flat=True).first()
        if current is None:
            raise not_found("article")
        raise DomainError(ErrorCode.CONFLICT, "the article was changed since you opened it", current_version=current)
    article = Article.objects.get(pk=article_id)
    _record_version(article=article, actor=actor)
    return article


def set_published(*, actor: Actor, article_id: int, published: bool, expected_version: int) -> Article:
    """Publish or unpublish (a draft is read by authors only): a new version like any edit."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        authorize(actor, Operation.MANAGE_KNOWLEDGE)
        raise not_found("article")
    spec = ArticleSpec(title=article.title, body=article.body, category=article.category, tags=article.tags,
                       roles=article.roles, published=published)  # fmt: skip
    return edit_article(actor=actor, article_id=article_id, spec=spec, expected_version=expected_version)
