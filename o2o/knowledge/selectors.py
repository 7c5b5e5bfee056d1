"""Reads of the knowledge base: full-text search and the scoped accessor (docs/knowledge.md)."""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize, may, role_of
from o2o.core.errors import not_found
from o2o.knowledge.models import Article, ArticleVersion

# A query is cut to this many characters and terms (a longer one is a paste, not a search);
# a term shorter than MIN_TRIGRAM characters cannot use the trigram index and is matched on titles.
MAX_QUERY = 200
MAX_TERMS = 8
MIN_TRIGRAM = 3
MAX_LIMIT = 50
SNIPPET_BEFORE = 30
SNIPPET_AFTER = 90

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ArticleHit:
    id: int
    title: str
    snippet: str
    category: str


def search_terms(query: str) -> list[str]:
    """The distinct terms of a query, split on white space, control characters removed. Nothing
    in a term is syntax: FTS operators and LIKE wildcards are matched as the characters they are."""
    terms: list[str] = []
    for term in _CONTROL.sub(" ", query[:MAX_QUERY]).split():
        if term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    return terms[:MAX_TERMS]


def _readable_sql() -> str:
    """True for an article whose `roles` (JSON list) is empty or names the role given as parameter."""
    if connection.vendor == "postgresql":
        return "(knowledge_article.roles = '[]'::jsonb OR jsonb_exists(knowledge_article.roles, %s))"
    return (
        "(json_array_length(knowledge_article.roles) = 0 OR EXISTS "
        "(SELECT 1 FROM json_each(knowledge_article.roles) WHERE json_each.value = %s))"
    )


def readable_articles(*, actor: Actor) -> QuerySet[Article]:
    """Published articles for the actor's role; HQ and other authors read them all."""
    authorize(actor, Operation.READ_KNOWLEDGE)
    articles = Article.objects.filter(published=True)
    if may(actor, Operation.MANAGE_KNOWLEDGE):
        return articles
    readable = RawSQL(_readable_sql(), [role_of(actor)], output_field=BooleanField())
    return articles.alias(readable=readable).filter(readable=True)


def managed_articles(*, actor: Actor) -> QuerySet[Article]:
    """Every article, drafts too: what an author works on."""
    authorize(actor, Operation.MANAGE_KNOWLEDGE)
    return Article.objects.all()


def get_article_for(*, actor: Actor, article_id: int) -> Article:
    """The article if the actor may read it: a draft or another role's article is the same 404 as
    a missing one."""
    base = managed_articles(actor=actor) if may(actor, Operation.MANAGE_KNOWLEDGE) else readable_articles(actor=actor)
    article = base.filter(pk=article_id).first()
    if article is None:
        raise not_found("article")
    return article


def versions_of(*, actor: Actor, article_id: int) -> list[ArticleVersion]:
    authorize(actor, Operation.MANAGE_KNOWLEDGE)
    if not Article.objects.filter(pk=article_id).exists():
        raise not_found("article")
    return list(ArticleVersion.objects.filter(article_id=article_id).order_by("-version"))


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _search_sql(*, terms: list[str], role: str | None) -> tuple[str, list]:
    """The vendor's query: ids and titles of matching published articles, best first (more terms
    in the title first, then the index's own rank: bm25 with titles weighted on SQLite, title
    similarity on PostgreSQL)."""
    postgres = connection.vendor == "postgresql"
    like = "ILIKE" if postgres else "LIKE"
    escape = "" if postgres else " ESCAPE '\\'"
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM]
    title_hits = " + ".join(f"(CASE WHEN knowledge_article.title {like} %s{escape} THEN 1 ELSE 0 END)" for _ in terms)
    params: list = [_like(t) for t in terms]
    where = ["knowledge_article.published"]
    where_params: list = []
    if role is not None:
        where.append(_readable_sql())
        where_params.append(role)
    for term in terms:
        if len(term) < MIN_TRIGRAM:
            where.append(f"knowledge_article.title {like} %s{escape}")
            where_params.append(_like(term))
        elif postgres:  # on SQLite the FTS MATCH takes the long terms
            where.append("(knowledge_article.title ILIKE %s OR knowledge_article.body ILIKE %s)")
            where_params += [_like(term), _like(term)]
    if postgres:
        rank = "similarity(knowledge_article.title, %s) DESC"
        sql = (
            f"SELECT knowledge_article.id, ({title_hits}) AS title_hits FROM knowledge_article "
            f"WHERE {' AND '.join(where)} ORDER BY title_hits DESC, {rank}, knowledge_article.id DESC LIMIT %s"
        )
        return sql, [*params, *where_params, " ".join(terms)]
    if long_terms:
        sql = (
            f"SELECT knowledge_article.id, ({title_hits}) AS title_hits FROM knowledge_article_fts "
            "JOIN knowledge_article ON knowledge_article.id = knowledge_article_fts.rowid "
            f"WHERE knowledge_article_fts MATCH %s AND {' AND '.join(where)} "
            "ORDER BY title_hits DESC, bm25(knowledge_article_fts, 10.0, 1.0), knowledge_article.id DESC LIMIT %s"
        )
        return sql, [*params, " ".join(_fts_phrase(t) for t in long_terms), *where_params]
    sql = (
        f"SELECT knowledge_article.id, ({title_hits}) AS title_hits FROM knowledge_article "
        f"WHERE {' AND '.join(where)} ORDER BY title_hits DESC, knowledge_article.id DESC LIMIT %s"
    )
    return sql, [*params, *where_params]


def snippet(body: str, terms: list[str]) -> str:
    """Plain text around the first place a term occurs in the body (the start when none does)."""
    folded = body.casefold()
    places = [i for i in (folded.find(t.casefold()) for t in terms) if i >= 0]
    start = max(min(places) - SNIPPET_BEFORE, 0) if places else 0
    text = " ".join(body[start : start + SNIPPET_BEFORE + SNIPPET_AFTER].split())
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_BEFORE + SNIPPET_AFTER < len(body) else ""
    return prefix + text + suffix


def search(*, actor: Actor, query: str, limit: int = 20) -> list[ArticleHit]:
    """Published articles the actor may read that contain every term of the query (in the title
    or the body; a term of 1-2 characters in the title), best first. Works on Chinese text (no
    spaces needed) on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm). Any query is safe: an empty
    one finds nothing, syntax characters are matched literally."""
    authorize(actor, Operation.READ_KNOWLEDGE)
    terms = search_terms(query)
    if not terms:
        return []
    role = None if may(actor, Operation.MANAGE_KNOWLEDGE) else role_of(actor)
    sql, params = _search_sql(terms=terms, role=role)
    limit = max(1, min(limit, MAX_LIMIT))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        ids = [row[0] for row in cursor.fetchall()]
    articles = Article.objects.in_bulk(ids)
    return [
        ArticleHit(
            id=pk, title=articles[pk].title, snippet=snippet(articles[pk].body, terms), category=articles[pk].category
        )  # fmt: skip
        for pk in ids
        if pk in articles
    ]
