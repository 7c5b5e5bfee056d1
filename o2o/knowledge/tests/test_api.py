"""The knowledge base's API, as staff, authors, members and strangers call it."""

import pytest

from o2o.access.actors import SYSTEM
from o2o.knowledge.models import Article, ArticleVersion
from o2o.knowledge.services import ArticleSpec, create_article
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory

pytestmark = pytest.mark.django_db

RETURNS = "退货流程：七天无理由退货，商品完好即可办理。"
BODY = {"title": "退货流程", "body": RETURNS, "category": "售后", "tags": ["退货"], "roles": []}


def _client(role: Role) -> ApiClient:
    return as_staff(EmployeeFactory(role=role))


def _article(**fields) -> Article:
    spec = {"title": "退货流程", "body": RETURNS, **fields}
    return create_article(actor=SYSTEM, spec=ArticleSpec(**spec))


def test_an_agent_searches_and_reads_an_article():
    # given
    article = _article(category="售后")
    agent = _client(Role.CS_AGENT)

    # when
    found = agent.get("knowledge/articles", q="无理由")
    read = agent.get(f"knowledge/articles/{article.pk}")

    # then
    assert found.status_code == 200
    assert found.json() == [{"id": article.pk, "title": "退货流程", "snippet": RETURNS, "category": "售后"}]
    assert read.status_code == 200
    assert read.json()["body"] == RETURNS
    assert read.json()["body_html"] == f"<p>{RETURNS}</p>"
    assert read.json()["version"] == 1


def test_without_a_query_the_newest_articles_for_the_role():
    older = _article(title="旧文章")
    newer = _article(title="新文章")
    _article(title="仓库盘点", roles=[Role.WAREHOUSE_CLERK])

    response = _client(Role.CLERK).get("knowledge/articles")

    assert [hit["id"] for hit in response.json()] == [newer.pk, older.pk]


def test_strangers_members_and_other_roles_do_not_read():
    # given
    article = _article(roles=[Role.STORE_MANAGER])

    # then
    assert ApiClient().get("knowledge/articles", q="退货").status_code == 401
    assert ApiClient().get(f"knowledge/articles/{article.pk}").status_code == 401
    assert problem_code(as_member(MemberFactory()).get("knowledge/articles", q="退货")) == "forbidden"
    assert _client(Role.CLERK).get(f"knowledge/articles/{article.pk}").status_code == 404
    assert _client(Role.CLERK).get("knowledge/articles", q="退货").json() == []
    assert _client(Role.STORE_MANAGER).get(f"knowledge/articles/{article.pk}").status_code == 200
    assert _client(Role.CLERK).get("knowledge/articles/999999").status_code == 404


def test_author_body_is_escaped_in_html():
    article = _article(body='# 标题\n<script>alert(1)</script> **重点**\n- 第一步\n- 第二步 <b onclick="x">')

    html = _client(Role.CLERK).get(f"knowledge/articles/{article.pk}").json()["body_html"]

    assert html == (
        "<h3>标题</h3>\n<p>&lt;script&gt;alert(1)&lt;/script&gt; <strong>重点</strong></p>\n"
        "<ul>\n<li>第一步</li>\n<li>第二步 &lt;b onclick=&quot;x&quot;&gt;</li>\n</ul>"
    )


def test_hq_creates_an_article_once_per_idempotency_key():
    hq = _client(Role.HQ)
    headers = {"Idempotency-Key": "kb-1"}

    first = hq.post("knowledge/articles", BODY, headers=headers)
    again = hq.post("knowledge/articles", BODY, headers=headers)

    assert first.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Article.objects.count() == 1
    assert list(ArticleVersion.objects.values_list("version", "title")) == [(1, "退货流程")]
    assert problem_code(hq.post("knowledge/articles", {**BODY, "title": "别的"}, headers=headers)) == (
        "idempotency_conflict"
    )


def test_an_edit_keeps_the_previous_version_and_a_stale_edit_is_refused():
    # given
    hq = _client(Role.HQ)
    article_id = hq.post("knowledge/articles", BODY).json()["id"]
    edited = {**BODY, "body": "十五天无理由退货。", "version": 1}

    # when
    saved = hq._call("put", f"knowledge/articles/{article_id}", edited)
    stale = hq._call("put", f"knowledge/articles/{article_id}", {**edited, "body": "我的改动"})

    # then
    assert saved.status_code == 200
    assert saved.json()["version"] == 2
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert Article.objects.get().body == "十五天无理由退货。"
    versions = hq.get(f"knowledge/articles/{article_id}/versions").json()
    assert [(v["version"], v["body"]) for v in versions] == [(2, "十五天无理由退货。"), (1, RETURNS)]


def test_an_unpublished_article_is_read_by_authors_only():
    # given
    hq = _client(Role.HQ)
    article_id = hq.post("knowledge/articles", BODY).json()["id"]

    # when
    response = hq._call("put", f"knowledge/articles/{article_id}", {**BODY, "published": False, "version": 1})

    # then
    assert response.json()["published"] is False
    agent = _client(Role.CS_AGENT)
    assert agent.get(f"knowledge/articles/{article_id}").status_code == 404
    assert agent.get("knowledge/articles", q="无理由").json() == []
    assert hq.get(f"knowledge/articles/{article_id}").status_code == 200


def test_only_authors_write():
    article = _article()
    for role in (Role.CS_AGENT, Role.CLERK, Role.STORE_MANAGER):
        client = _client(role)
        assert problem_code(client.post("knowledge/articles", BODY)) == "forbidden"
        put = client._call("put", f"knowledge/articles/{article.pk}", {**BODY, "title": "改", "version": 1})
        assert problem_code(put) == "forbidden"
    assert problem_code(as_member(MemberFactory()).post("knowledge/articles", BODY)) == "forbidden"
    assert ApiClient().post("knowledge/articles", BODY).status_code == 401
    assert Article.objects.get().title == "退货流程"
    assert Article.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [{"title": ""}, {"title": "   "}, {"body": ""}, {"title": "x" * 201}, {"roles": ["boss"]}, {"tags": ["x" * 31]},
     {"tags": ["t"] * 11}, {"published": "yes"}, {"category": "c" * 51}, {"title": None}, {"roles": "hq"}],
)  # fmt: skip
def test_bad_articles_are_refused_and_nothing_is_written(change):
    response = _client(Role.HQ).post("knowledge/articles", {**BODY, **change})

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    "params", [{"q": '"*NEAR(-'}, {"q": "x" * 1000}, {"q": "x" * 1001}, {"limit": 0}, {"limit": "many"}, {"limit": 51}]
)
def test_bad_searches_are_4xx_or_empty_never_500(params):
    _article()

    response = _client(Role.CS_AGENT).get("knowledge/articles", **params)

    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert response.json() == []


def test_an_edit_of_a_missing_article_is_404():
    response = _client(Role.HQ)._call("put", "knowledge/articles/424242", {**BODY, "version": 1})

    assert response.status_code == 404
