"""The knowledge base's pages (/service/knowledge/): staff search and read, authors write."""

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM
from o2o.knowledge.models import Article, ArticleVersion
from o2o.knowledge.services import ArticleSpec, create_article
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

RETURNS = "退货流程：七天无理由退货。\n\n- 商品完好\n- <script>alert(1)</script>"


def _client(role: Role) -> Client:
    client = Client()
    client.force_login(EmployeeFactory(role=role).user)
    return client


def _article(**fields) -> Article:
    return create_article(actor=SYSTEM, spec=ArticleSpec(**{"title": "退货流程", "body": RETURNS, **fields}))


def test_a_clerk_searches_and_reads_escaped_text():
    article = _article()
    _article(title="仓库盘点", body="盘点步骤说明", roles=[Role.WAREHOUSE_CLERK])
    clerk = _client(Role.CLERK)

    found = clerk.get(reverse("web:knowledge"), {"q": "无理由"})
    page = clerk.get(reverse("web:knowledge-article", args=[article.pk]))

    assert found.status_code == 200
    assert reverse("web:knowledge-article", args=[article.pk]) in found.text
    assert "仓库盘点" not in clerk.get(reverse("web:knowledge")).text
    assert "<li>商品完好</li>" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text
    assert reverse("web:knowledge-edit", args=[article.pk]) not in page.text


def test_another_roles_article_is_404_and_strangers_sign_in():
    article = _article(roles=[Role.STORE_MANAGER])

    assert _client(Role.CLERK).get(reverse("web:knowledge-article", args=[article.pk])).status_code == 404
    assert Client().get(reverse("web:knowledge")).status_code == 302


def test_hq_writes_and_edits_an_article_keeping_versions():
    hq = _client(Role.HQ)
    form = {"title": "换货流程", "body": "十五天内可以换货。", "category": "售后", "tags": "换货，售后"}
    form |= {"published": "on", "key": "page-key-1"}

    created = hq.post(reverse("web:knowledge-new"), form)
    again = hq.post(reverse("web:knowledge-new"), form)
    article = Article.objects.get()
    edited = hq.post(
        reverse("web:knowledge-edit", args=[article.pk]), {**form, "body": "三十天内可以换货。", "version": 1}
    )
    stale = hq.post(reverse("web:knowledge-edit", args=[article.pk]), {**form, "body": "旧的", "version": 1})

    assert created.status_code == 302
    assert again.status_code == 302
    assert edited.status_code == 302
    assert stale.status_code == 200  # the form again, with the conflict
    article.refresh_from_db()
    assert (article.body, article.version, article.tags) == ("三十天内可以换货。", 2, ["换货", "售后"])
    assert ArticleVersion.objects.filter(article=article).count() == 2


def test_agents_may_not_write():
    article = _article()
    agent = _client(Role.CS_AGENT)

    assert agent.get(reverse("web:knowledge-new")).status_code == 403
    response = agent.post(reverse("web:knowledge-edit", args=[article.pk]), {"title": "改", "body": "改", "version": 1})

    assert response.status_code == 403
    assert Article.objects.get().title == "退货流程"
