"""Customer service's pages as their users and as attackers: the agents' desk (/service/), a
store's escalations (/manager/escalations/) and the customer's "contact us" (/shop/help/)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.service import services
from o2o.service.models import AgentPresence, Ticket, TicketMessage, TicketState
from o2o.service.services import TicketRequest
from o2o.staff.models import Role
from o2o.testing.factories import PASSWORD, EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db


def staff_client(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def member_client(member) -> Client:
    client = Client()
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def open_ticket(member, *, kind="inquiry", subject="奶茶洒了", body="杯子漏了", order=None, sku=None) -> Ticket:
    request = TicketRequest(
        kind=kind, subject=subject, body=body, order_id=order.pk if order else None, sku_id=sku.pk if sku else None
    )
    return services.open_ticket(actor=actor_for_member(member), request=request)


def message_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-message="(\d+)"', html)]


@pytest.fixture
def agent():
    return EmployeeFactory(role=Role.CS_AGENT, home_location=None)


@pytest.fixture
def order(store, member):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    return paid_pickup_order(member=member, store=store, sku=sku)


def escalated(ticket: Ticket, agent, store) -> Ticket:
    actor = actor_for_user(agent.user)
    services.reply(actor=actor, ticket_id=ticket.pk, body="我们看看")
    return services.escalate(actor=actor, ticket_id=ticket.pk, location_id=store.pk, reason="到店换货")


# --- who may come in -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(member):
    ticket = open_ticket(member)

    for url in ("/service/", f"/service/tickets/{ticket.pk}/", "/manager/escalations/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url
    for url in ("/shop/help/", "/shop/help/new/", f"/shop/help/{ticket.pk}/"):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('web:member-signin')}?next={url}"


def test_a_clerk_may_not_open_the_agents_desk(clerk, member):
    ticket = open_ticket(member)

    assert staff_client(clerk).get("/service/").status_code == 403
    assert staff_client(clerk).get(f"/service/tickets/{ticket.pk}/").status_code == 403
    assert staff_client(clerk).post(f"/service/tickets/{ticket.pk}/reply/", {"body": "hi"}).status_code == 403
    assert TicketMessage.objects.filter(ticket=ticket).count() == 2  # the customer's and the acknowledgement


def test_a_cs_agent_on_the_store_escalation_page_is_refused(agent, store):
    assert staff_client(agent).get("/manager/escalations/").status_code == 403
    assert staff_client(agent).get(f"/manager/escalations/?location={store.pk}").status_code == 403


def test_a_cs_agent_lands_on_the_desk_after_signing_in(agent):
    response = Client().post("/accounts/login/", {"username": agent.user.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/service/"


# --- the agents' desk ------------------------------------------------------------------------------


def test_the_inbox_shows_each_tickets_sla_and_filters_mine_and_unassigned(agent, member):
    waiting = open_ticket(member, subject="没人接")
    mine = open_ticket(MemberFactory(), subject="我的")
    services.reply(actor=actor_for_user(agent.user), ticket_id=mine.pk, body="您好")
    client = staff_client(agent)

    unassigned = client.get("/service/", {"view": "unassigned"}).content.decode()
    my_view = client.get("/service/", {"view": "mine"}).content.decode()

    assert f'data-ticket="{waiting.pk}"' in unassigned and f'data-ticket="{mine.pk}"' not in unassigned
    assert f'data-ticket="{mine.pk}"' in my_view and f'data-ticket="{waiting.pk}"' not in my_view
    # five minutes to a first response (the seeded policy): on track, 5 min left
    assert re.search(rf'data-ticket="{waiting.pk}" data-sla="on_track"', unassigned)
    assert "剩余 5 分钟" in unassigned


def test_the_inbox_takes_junk_filters_without_an_error(agent, member):
    open_ticket(member)

    response = staff_client(agent).get(
        "/service/", {"view": "x", "state": "nonsense", "due": "'", "kind": "<", "page": "-1", "q": "' OR 1=1 --"}
    )

    assert response.status_code == 200


def test_an_agent_marks_themself_available_and_away(agent):
    client = staff_client(agent)

    assert client.post("/service/presence/", {"available": "yes"}).status_code == 302
    assert AgentPresence.objects.get(employee=agent).available is True
    assert 'data-available="yes"' in client.get("/service/").content.decode()
    assert client.post("/service/presence/", {"available": "maybe"}).status_code == 422
    assert AgentPresence.objects.get(employee=agent).available is True
    client.post("/service/presence/", {"available": "no"})
    assert AgentPresence.objects.get(employee=agent).available is False


def test_an_agent_claims_replies_and_notes_and_the_customer_never_sees_the_note(agent, member):
    ticket = open_ticket(member)
    client = staff_client(agent)

    assert client.post(f"/service/tickets/{ticket.pk}/assign/").status_code == 302
    client.post(f"/service/tickets/{ticket.pk}/reply/", {"body": "已为您补发"})
    client.post(f"/service/tickets/{ticket.pk}/reply/", {"body": "仓库缺货，内部跟进", "internal": "1"})

    ticket.refresh_from_db()
    assert ticket.state == TicketState.OPEN and ticket.assignee_id == agent.pk
    staff_page = client.get(f"/service/tickets/{ticket.pk}/").content.decode()
    customer_page = member_client(member).get(f"/shop/help/{ticket.pk}/").content.decode()
    assert "已为您补发" in staff_page and "仓库缺货，内部跟进" in staff_page
    assert "已为您补发" in customer_page and "仓库缺货，内部跟进" not in customer_page


def test_a_blank_reply_is_a_form_error_and_writes_nothing(agent, member):
    ticket = open_ticket(member)
    before = TicketMessage.objects.filter(ticket=ticket).count()

    response = staff_client(agent).post(f"/service/tickets/{ticket.pk}/reply/", {"body": "   ", "article": "abc"})

    assert response.status_code == 422
    assert 'id="action-error"' in response.content.decode()
    assert TicketMessage.objects.filter(ticket=ticket).count() == before


def test_escalating_without_a_reason_or_to_an_unknown_store_writes_nothing(agent, member, store):
    ticket = open_ticket(member)
    client = staff_client(agent)

    no_reason = client.post(f"/service/tickets/{ticket.pk}/escalate/", {"location": store.pk, "reason": ""})
    junk_store = client.post(
        f"/service/tickets/{ticket.pk}/escalate/", {"location": "99999999999999999999", "reason": "x"}
    )
    unknown = client.post(f"/service/tickets/{ticket.pk}/escalate/", {"location": 999999, "reason": "换货"})

    assert (no_reason.status_code, junk_store.status_code, unknown.status_code) == (422, 422, 404)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.NEW and ticket.escalated_to_id is None


def test_resolving_a_complaint_without_a_promise_is_a_409_on_the_page(agent, member):
    ticket = open_ticket(member, kind="complaint")
    client = staff_client(agent)
    client.post(f"/service/tickets/{ticket.pk}/assign/")

    response = client.post(f"/service/tickets/{ticket.pk}/resolve/", {"summary": "已处理"})

    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.state == TicketState.OPEN and ticket.resolved_at is None


def test_closing_an_inquiry_at_once_is_refused_and_praise_is_closed(agent, member):
    inquiry = open_ticket(member)
    praise = open_ticket(member, kind="praise", subject="店员很好")
    client = staff_client(agent)

    assert client.post(f"/service/tickets/{inquiry.pk}/close/").status_code == 409
    assert client.post(f"/service/tickets/{praise.pk}/close/").status_code == 302
    inquiry.refresh_from_db()
    praise.refresh_from_db()
    assert (inquiry.state, praise.state, praise.close_reason) == ("new", "closed", "no_action")


def test_junk_ticket_ids_are_404_never_500(agent, member):
    client = staff_client(agent)
    customer = member_client(member)

    for url in ("/service/tickets/0/", "/service/tickets/99999999999999999999/", "/service/tickets/999999/"):
        assert client.get(url).status_code == 404, url
    for url in ("/shop/help/0/", "/shop/help/99999999999999999999/", "/shop/help/999999/messages/"):
        assert customer.get(url).status_code == 404, url
    assert client.post("/service/tickets/999999/resolve/", {"summary": "x"}).status_code == 404


# --- the live conversation -------------------------------------------------------------------------


def test_the_polling_partial_returns_only_the_messages_after_the_given_id(agent, member):
    ticket = open_ticket(member)
    seen = list(TicketMessage.objects.filter(ticket=ticket).order_by("pk").values_list("pk", flat=True))
    services.reply(actor=actor_for_user(agent.user), ticket_id=ticket.pk, body="您好，请问订单号？")
    services.reply(actor=actor_for_user(agent.user), ticket_id=ticket.pk, body="内部：查单", internal=True)
    reply = TicketMessage.objects.get(ticket=ticket, body="您好，请问订单号？")
    note = TicketMessage.objects.get(ticket=ticket, internal=True)

    staff_part = staff_client(agent).get(f"/service/tickets/{ticket.pk}/messages/", {"after": seen[-1]})
    customer_part = member_client(member).get(f"/shop/help/{ticket.pk}/messages/", {"after": seen[-1]})
    nothing_new = member_client(member).get(f"/shop/help/{ticket.pk}/messages/", {"after": reply.pk})

    assert message_ids(staff_part.content.decode()) == [reply.pk, note.pk]
    assert message_ids(customer_part.content.decode()) == [reply.pk]
    assert f"after={reply.pk}" in customer_part.content.decode()  # the next poll asks for what follows
    assert 'hx-trigger="every 3s"' in customer_part.content.decode()
    assert nothing_new.status_code == 204


def test_the_ticket_page_polls_every_three_seconds_from_its_last_message(member):
    ticket = open_ticket(member)
    last = TicketMessage.objects.filter(ticket=ticket).order_by("pk").last()

    html = member_client(member).get(f"/shop/help/{ticket.pk}/").content.decode()

    assert f'hx-get="/shop/help/{ticket.pk}/messages/?after={last.pk}" hx-trigger="every 3s"' in html


def test_junk_after_is_a_404(member):
    ticket = open_ticket(member)

    for junk in ("abc", "-1", "99999999999999999999", "1e3", "²"):
        response = member_client(member).get(f"/shop/help/{ticket.pk}/messages/", {"after": junk})
        assert response.status_code == 404, junk


# --- the customer --------------------------------------------------------------------------------


def test_contact_us_from_an_order_opens_a_ticket_about_it(member, order):
    client = member_client(member)

    form = client.get("/shop/help/new/", {"order": order.pk})
    sent = client.post(
        "/shop/help/new/",
        {"order": order.pk, "kind": "after_sale", "subject": "少了一杯", "body": "订单里少了一杯", "key": "k-1"},
    )
    again = client.post(
        "/shop/help/new/",
        {"order": order.pk, "kind": "after_sale", "subject": "少了一杯", "body": "订单里少了一杯", "key": "k-1"},
    )

    assert form.status_code == 200 and f'name="order" value="{order.pk}"' in form.content.decode()
    ticket = Ticket.objects.get(member=member)  # the retried send opened no second ticket
    assert (ticket.order_id, ticket.location_id, ticket.kind, ticket.channel) == (
        order.pk,
        order.selling_location_id,
        "after_sale",
        "chat",
    )
    assert sent.status_code == 302 and sent["Location"] == f"/shop/help/{ticket.pk}/"
    assert again.status_code == 302 and again["Location"] == f"/shop/help/{ticket.pk}/"


def test_the_order_and_product_pages_link_to_contact_us(member, order):
    client = member_client(member)
    sku = order.lines.get().sku

    assert f'href="/shop/help/new/?order={order.pk}"' in client.get(f"/shop/orders/{order.pk}/").content.decode()
    assert f'href="/shop/help/new/?sku={sku.pk}"' in client.get(f"/shop/p/{sku.pk}/").content.decode()


def test_someone_elses_order_is_a_404_and_opens_nothing(order):
    stranger = member_client(MemberFactory())

    assert stranger.get("/shop/help/new/", {"order": order.pk}).status_code == 404
    sent = stranger.post("/shop/help/new/", {"order": order.pk, "kind": "inquiry", "subject": "x", "body": "y"})
    assert sent.status_code == 404
    assert Ticket.objects.count() == 0


def test_junk_context_is_a_404_and_a_bad_form_a_422(member):
    client = member_client(member)

    assert client.get("/shop/help/new/", {"order": "abc"}).status_code == 404
    assert client.get("/shop/help/new/", {"order": "²"}).status_code == 404
    assert client.get("/shop/help/new/", {"sku": "99999999999999999999"}).status_code == 404
    response = client.post("/shop/help/new/", {"kind": "refund-me-twice", "subject": "", "body": "x" * 5000})
    assert response.status_code == 422
    assert Ticket.objects.count() == 0


def test_a_member_opening_anothers_ticket_gets_404(member):
    ticket = open_ticket(member)
    stranger = member_client(MemberFactory())

    assert stranger.get(f"/shop/help/{ticket.pk}/").status_code == 404
    assert stranger.get(f"/shop/help/{ticket.pk}/messages/").status_code == 404
    assert stranger.post(f"/shop/help/{ticket.pk}/send/", {"body": "我是别人"}).status_code == 404
    assert not TicketMessage.objects.filter(body="我是别人").exists()


def test_my_tickets_lists_only_mine(member):
    mine = open_ticket(member, subject="我的问题")
    theirs = open_ticket(MemberFactory(), subject="别人的问题")

    html = member_client(member).get("/shop/help/").content.decode()

    assert f'data-ticket="{mine.pk}"' in html and f'data-ticket="{theirs.pk}"' not in html


def test_the_customer_writes_then_confirms_with_a_score(agent, member):
    ticket = open_ticket(member)
    client = member_client(member)
    assert client.post(f"/shop/help/{ticket.pk}/send/", {"body": "还在吗？"}).status_code == 302
    services.reply(actor=actor_for_user(agent.user), ticket_id=ticket.pk, body="在的")
    services.resolve(actor=actor_for_user(agent.user), ticket_id=ticket.pk, summary="已补发一杯")

    bad_score = client.post(f"/shop/help/{ticket.pk}/confirm/", {"score": "6"})
    done = client.post(f"/shop/help/{ticket.pk}/confirm/", {"score": "4"})

    assert bad_score.status_code == 422
    assert done.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.close_reason, ticket.satisfaction) == ("closed", "confirmed", 4)
    assert TicketMessage.objects.filter(ticket=ticket, author_kind="customer", body="还在吗？").count() == 1


def test_the_customer_reopens_a_resolved_ticket(agent, member):
    ticket = open_ticket(member)
    services.reply(actor=actor_for_user(agent.user), ticket_id=ticket.pk, body="在的")
    services.resolve(actor=actor_for_user(agent.user), ticket_id=ticket.pk, summary="已补发")

    response = member_client(member).post(f"/shop/help/{ticket.pk}/reopen/", {"body": "还没收到"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.OPEN and ticket.assignee_id == agent.pk


def test_confirming_a_ticket_that_is_not_resolved_is_a_409(member):
    ticket = open_ticket(member)

    response = member_client(member).post(f"/shop/help/{ticket.pk}/confirm/", {"score": "5"})

    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.state == TicketState.NEW and ticket.satisfaction is None


# --- the store's escalations -----------------------------------------------------------------------


def test_the_store_sees_replies_to_and_resolves_its_escalation(agent, member, store, clerk):
    ticket = escalated(open_ticket(member), agent, store)
    client = staff_client(clerk)

    listing = client.get("/manager/escalations/").content.decode()
    page = client.get(f"/manager/escalations/{ticket.pk}/")
    replied = client.post(f"/manager/escalations/{ticket.pk}/reply/", {"body": "请到店换货"})
    resolved = client.post(f"/manager/escalations/{ticket.pk}/resolve/", {"summary": "已到店换货"})

    assert f'data-ticket="{ticket.pk}"' in listing
    assert page.status_code == 200 and "到店换货" in page.content.decode()
    assert replied.status_code == 302 and resolved.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESOLVED
    assert TicketMessage.objects.filter(ticket=ticket, author=clerk, body="请到店换货").exists()


def test_the_store_returns_a_ticket_to_online_service(agent, member, store):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    ticket = escalated(open_ticket(member), agent, store)

    response = staff_client(manager).post(f"/manager/escalations/{ticket.pk}/return/", {"note": "非本店问题"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.OPEN and ticket.assignee_id == agent.pk


def test_a_clerk_of_another_store_gets_404_and_writes_nothing(agent, member, store, other_store):
    ticket = escalated(open_ticket(member), agent, store)
    outsider = staff_client(EmployeeFactory(role=Role.CLERK, home_location=other_store))
    before = TicketMessage.objects.filter(ticket=ticket).count()

    assert f'data-ticket="{ticket.pk}"' not in outsider.get("/manager/escalations/").content.decode()
    assert outsider.get(f"/manager/escalations/{ticket.pk}/").status_code == 404
    assert outsider.get(f"/manager/escalations/{ticket.pk}/messages/").status_code == 404
    assert outsider.post(f"/manager/escalations/{ticket.pk}/reply/", {"body": "我来"}).status_code == 404
    assert outsider.post(f"/manager/escalations/{ticket.pk}/resolve/", {"summary": "好了"}).status_code == 404
    assert outsider.post(f"/manager/escalations/{ticket.pk}/return/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ESCALATED
    assert TicketMessage.objects.filter(ticket=ticket).count() == before


def test_a_ticket_never_escalated_is_a_404_to_the_store(member, clerk):
    ticket = open_ticket(member)

    assert staff_client(clerk).get(f"/manager/escalations/{ticket.pk}/").status_code == 404


def test_a_blank_store_reply_is_a_form_error(agent, member, store, clerk):
    ticket = escalated(open_ticket(member), agent, store)
    before = TicketMessage.objects.filter(ticket=ticket).count()

    response = staff_client(clerk).post(f"/manager/escalations/{ticket.pk}/reply/", {"body": ""})

    assert response.status_code == 422
    assert TicketMessage.objects.filter(ticket=ticket).count() == before


# --- the knowledge base and complaints, from the ticket page ---------------------------------------


def test_the_reply_form_finds_an_article_and_links_it(agent, member):
    from o2o.knowledge.services import ArticleSpec, create_article

    hq = EmployeeFactory(role=Role.HQ, home_location=None)
    article = create_article(
        actor=actor_for_user(hq.user), spec=ArticleSpec(title="退款多久到账", body="原路退回，一般三天内到账")
    )
    ticket = open_ticket(member)
    client = staff_client(agent)

    found = client.get(f"/service/tickets/{ticket.pk}/articles/", {"q": "退款"})
    junk = client.get(f"/service/tickets/{ticket.pk}/articles/", {"q": '"NEAR( * %'})
    client.post(f"/service/tickets/{ticket.pk}/reply/", {"body": "请看这篇", "article": article.pk})

    assert found.status_code == 200 and f'name="article" value="{article.pk}"' in found.content.decode()
    assert junk.status_code == 200
    assert TicketMessage.objects.get(ticket=ticket, body="请看这篇").article_id == article.pk


def test_a_complaint_is_promised_then_resolved_from_the_page(agent, member):
    ticket = open_ticket(member, kind="complaint")
    client = staff_client(agent)
    client.post(f"/service/tickets/{ticket.pk}/assign/")

    past = client.post(
        f"/service/tickets/{ticket.pk}/promise/", {"solution": "补发一杯", "promised_by": "2000-01-01T10:00"}
    )
    junk = client.post(f"/service/tickets/{ticket.pk}/promise/", {"solution": "补发一杯", "promised_by": "soon"})
    assert (past.status_code, junk.status_code) == (422, 422)
    ticket.refresh_from_db()
    assert ticket.promised_solution == ""

    promised = client.post(
        f"/service/tickets/{ticket.pk}/promise/", {"solution": "补发一杯", "promised_by": "2099-01-01T10:00"}
    )
    resolved = client.post(f"/service/tickets/{ticket.pk}/resolve/", {"summary": "已补发"})

    assert (promised.status_code, resolved.status_code) == (302, 302)
    ticket.refresh_from_db()
    assert (ticket.promised_solution, ticket.state) == ("补发一杯", "resolved")


def test_a_redelivery_remedy_sent_twice_is_carried_out_once(agent, member, order):
    from o2o.service.models import Remedy

    ticket = open_ticket(member, kind="complaint", order=order)
    client = staff_client(agent)
    form = {"kind": "redelivery", "note": "明早补送", "key": "remedy-1"}

    first = client.post(f"/service/tickets/{ticket.pk}/remedy/", form)
    second = client.post(f"/service/tickets/{ticket.pk}/remedy/", form)
    no_key = client.post(f"/service/tickets/{ticket.pk}/remedy/", {"kind": "redelivery", "note": "x"})

    assert (first.status_code, second.status_code, no_key.status_code) == (302, 302, 422)
    assert list(Remedy.objects.filter(ticket=ticket).values_list("kind", "note")) == [("redelivery", "明早补送")]


def test_praise_is_attributed_to_the_employee_by_code(agent, member, clerk):
    ticket = open_ticket(member, kind="praise", subject="店员很热情")
    client = staff_client(agent)

    unknown = client.post(f"/service/tickets/{ticket.pk}/attribute/", {"employee_code": "NOPE"})
    done = client.post(f"/service/tickets/{ticket.pk}/attribute/", {"employee_code": clerk.code})

    assert (unknown.status_code, done.status_code) == (422, 302)
    ticket.refresh_from_db()
    assert ticket.concerned_employee_id == clerk.pk


# --- junk as everyone ---------------------------------------------------------------------------------

JUNK = {
    "body": "x" * 6000,
    "summary": "",
    "reason": "x" * 600,
    "location": "-1",
    "employee": "abc",
    "article": "99999999999999999999",
    "score": "five",
    "available": "\x00",
    "kind": "<script>",
    "promised_by": "nan",
    "team": "1e9",
    "key": "k" * 100,
    "after": "²",
    "order": "abc",
    "sku": "-1",
    "q": "' OR 1=1 --",
}


def test_no_service_page_answers_500_to_anyone_with_junk(agent, member, store, clerk):
    ticket = escalated(open_ticket(member), agent, store)
    visitors = {
        "anonymous": Client(),
        "owner": member_client(member),
        "stranger": member_client(MemberFactory()),
        "clerk": staff_client(clerk),
        "agent": staff_client(agent),
        "hq": staff_client(EmployeeFactory(role=Role.HQ, home_location=None)),
    }
    base = [f"/service/tickets/{ticket.pk}/", f"/manager/escalations/{ticket.pk}/", f"/shop/help/{ticket.pk}/"]
    actions = ["", "messages/", "articles/", "reply/", "assign/", "wait/", "resume/", "escalate/", "resolve/"]
    actions += ["close/", "promise/", "remedy/", "attribute/", "return/", "send/", "confirm/", "reopen/"]
    urls = ["/service/", "/service/presence/", "/manager/escalations/", "/shop/help/", "/shop/help/new/"]
    urls += [f"{b}{a}" for b in base for a in actions]
    failures = []
    for who, client in visitors.items():
        for url in urls:
            for response in (client.get(url, JUNK), client.post(url, JUNK)):
                if response.status_code >= 500:
                    failures.append(f"{who} {response.request['REQUEST_METHOD']} {url}: {response.status_code}")

    assert failures == []
