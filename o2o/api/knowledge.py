"""The knowledge base (docs/knowledge.md): staff search and read the articles for their role;
authors (HQ, online operations) write, edit and unpublish them. Every rule lives in o2o.knowledge."""

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey
from o2o.knowledge import selectors, services
from o2o.knowledge.models import MAX_BODY, MAX_CATEGORY, MAX_TAG, MAX_TAGS, MAX_TITLE, Article
from o2o.knowledge.rendering import render_body
from o2o.staff.models import Role

router = Router(tags=["knowledge"])

Tag = Annotated[str, Field(min_length=1, max_length=MAX_TAG)]


class SearchIn(Schema):
    q: str = Field("", max_length=1000, description="Words to find (Chinese needs no spaces); empty: newest")
    limit: StrictInt = Field(20, ge=1, le=selectors.MAX_LIMIT)


class HitOut(Schema):
    id: int
    title: str
    snippet: str
    category: str


class ArticleIn(Schema):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field(min_length=1, max_length=MAX_BODY)
    category: str = Field("", max_length=MAX_CATEGORY)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    roles: list[Role] = Field(default_factory=list, description="Who may read it; empty: every staff role")
    published: StrictBool = True

    def spec(self) -> services.ArticleSpec:
        return services.ArticleSpec(title=self.title, body=self.body, category=self.category, tags=self.tags,
                                    roles=[str(r) for r in self.roles], published=self.published)  # fmt: skip


class ArticleEditIn(ArticleIn):
    version: StrictInt = Field(ge=1, description="The version you edited; someone saved since: 409")


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    body_html: str
    category: str
    tags: list[str]
    roles: list[str]
    published: bool
    version: int
    created_at: datetime
    updated_at: datetime


class VersionOut(Schema):
    version: int
    title: str
    body: str
    category: str
    tags: list[str]
    roles: list[str]
    published: bool
    edited_by_id: int | None
    edited_at: datetime


def _out(article: Article) -> dict:
    fields = ("id", "title", "body", "category", "tags", "roles", "published", "version", "created_at", "updated_at")
    return {**{name: getattr(article, name) for name in fields}, "body_html": str(render_body(article.body))}


@router.get("/articles", response=list[HitOut])
def search_articles(request: HttpRequest, params: Query[SearchIn]):
    """Published articles for the caller's role containing every word of `q`, best first (title
    hits first); without `q` the newest ones."""
    who = actor(request)
    if params.q.strip():
        return selectors.search(actor=who, query=params.q, limit=params.limit)
    articles = selectors.readable_articles(actor=who).order_by("-updated_at", "-id")[: params.limit]
    return [{"id": a.pk, "title": a.title, "snippet": selectors.snippet(a.body, []), "category": a.category}
            for a in articles]  # fmt: skip


@router.get("/articles/{article_id}", response=ArticleOut)
def get_article(request: HttpRequest, article_id: Id):
    """An article for the caller's role (authors: drafts too); another role's is a 404."""
    return _out(selectors.get_article_for(actor=actor(request), article_id=article_id))


@router.get("/articles/{article_id}/versions", response=list[VersionOut])
def article_versions(request: HttpRequest, article_id: Id):
    """Every saved version, newest first (authors)."""
    return selectors.versions_of(actor=actor(request), article_id=article_id)


@router.post("/articles", response={201: ArticleOut})
def create_article(request: HttpRequest, payload: ArticleIn, idempotency_key: IdempotencyKey = None):
    """A new article (version 1); the same Idempotency-Key returns the same article."""
    article = services.create_article(actor=actor(request), spec=payload.spec(), idempotency_key=idempotency_key)
    return Status(201, _out(article))


@router.put("/articles/{article_id}", response=ArticleOut)
def edit_article(request: HttpRequest, article_id: Id, payload: ArticleEditIn):
    """Replace the article (title, body, audience, published) with a new version; `version` is the
    one you edited, and a save in between is a 409 with `current_version`."""
    article = services.edit_article(
        actor=actor(request), article_id=article_id, spec=payload.spec(), expected_version=payload.version
    )
    return _out(article)
