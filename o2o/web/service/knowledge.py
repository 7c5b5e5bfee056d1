"""The knowledge base's pages (/service/knowledge/, docs/knowledge.md): every employee searches and
reads the articles for their role; authors (HQ, online operations) write and edit them."""

import secrets

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError, ErrorCode
from o2o.knowledge import selectors, services
from o2o.knowledge.models import MAX_BODY, MAX_CATEGORY, MAX_TITLE
from o2o.knowledge.rendering import render_body
from o2o.staff.models import Role
from o2o.web.auth import refusals_as_http, staff_page

T = "web/service/knowledge/"


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=MAX_TITLE)
    body = forms.CharField(label=gettext_lazy("Text"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 14}))
    category = forms.CharField(label=gettext_lazy("Category"), max_length=MAX_CATEGORY, required=False)
    tags = forms.CharField(label=gettext_lazy("Tags (comma separated)"), max_length=400, required=False)
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Readable by (none: every staff role)"), choices=Role.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    published = forms.BooleanField(label=gettext_lazy("Published"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def spec(self) -> services.ArticleSpec:
        data = self.cleaned_data
        tags = [t.strip() for t in data["tags"].replace("，", ",").split(",") if t.strip()]
        return services.ArticleSpec(title=data["title"], body=data["body"], category=data["category"], tags=tags,
                                    roles=data["roles"], published=data["published"])  # fmt: skip


@staff_page()
@refusals_as_http
def home(request: HttpRequest) -> HttpResponse:
    """Search (or the newest articles) for the reader's role."""
    query = request.GET.get("q", "")[: selectors.MAX_QUERY]
    if query.strip():
        hits = selectors.search(actor=request.actor, query=query, limit=selectors.MAX_LIMIT)
    else:
        newest = selectors.readable_articles(actor=request.actor).order_by("-updated_at", "-id")[:20]
        hits = [selectors.ArticleHit(id=a.pk, title=a.title, snippet=selectors.snippet(a.body, []), category=a.category)
                for a in newest]  # fmt: skip
    author = may(request.actor, Operation.MANAGE_KNOWLEDGE)
    return render(request, f"{T}home.html", {"hits": hits, "query": query, "author": author})


@staff_page()
@refusals_as_http
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    found = selectors.get_article_for(actor=request.actor, article_id=article_id)
    author = may(request.actor, Operation.MANAGE_KNOWLEDGE)
    return render(request, f"{T}article.html", {"article": found, "body": render_body(found.body), "author": author})


def _save(request: HttpRequest, form: ArticleForm, article_id: int | None) -> int:
    if article_id is None:
        key = request.POST.get("key") or None
        return services.create_article(actor=request.actor, spec=form.spec(), idempotency_key=key).pk
    version = form.cleaned_data["version"] or 0
    return services.edit_article(actor=request.actor, article_id=article_id, spec=form.spec(),
                                 expected_version=version).pk  # fmt: skip


@staff_page(Role.HQ, Role.ONLINE_OPERATOR)
@refusals_as_http
def edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    """The author's form: a new article, or a new version of one (a save in between is refused)."""
    current = selectors.get_article_for(actor=request.actor, article_id=article_id) if article_id else None
    selectors.managed_articles(actor=request.actor)  # the permission check, also for a new article
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                return redirect("web:knowledge-article", article_id=_save(request, form, article_id))
            except DomainError as error:
                if error.code not in (ErrorCode.INVALID, ErrorCode.CONFLICT):
                    raise
                form.add_error(None, error.message)
    elif current is not None:
        form = ArticleForm(initial={"title": current.title, "body": current.body, "category": current.category,
                                    "tags": ", ".join(current.tags), "roles": current.roles,
                                    "published": current.published, "version": current.version})  # fmt: skip
    else:
        form = ArticleForm()
    key = request.POST.get("key") or secrets.token_urlsafe(16)
    return render(request, f"{T}edit.html", {"form": form, "article": current, "key": key})
