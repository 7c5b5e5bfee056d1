"""Customer service in a real browser: a member writes to us from the storefront's "contact us",
an agent answers from the desk, and the member's open page shows the answer without a reload
(the conversation polls every 3 s through htmx). Screenshots go to test-artifacts/screenshots/."""

import pytest
from playwright.sync_api import expect

from o2o.service.models import Ticket
from o2o.staff.models import Role
from o2o.testing.factories import PASSWORD, EmployeeFactory
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db(transaction=True)

POLL_TIMEOUT_MS = 10_000  # the conversation asks for new messages every 3 s


def test_a_member_writes_an_agent_replies_and_the_member_sees_it_without_a_reload(screens):
    customer = screens("help-customer")  # a phone
    shop = customer.page

    # The member signs in with the code sent to the phone and writes to us.
    customer.goto("/shop/signin/?next=/shop/help/new/")
    shop.fill("#id_phone", "13800138111")
    shop.click("button[name=send]")
    expect(shop.locator("#id_code")).to_be_visible()
    shop.fill("#id_code", last_code_sent_to("+8613800138111"))
    shop.click("button[name=verify]")
    shop.wait_for_url("**/shop/help/new/")
    shop.select_option("#id_kind", "inquiry")
    shop.fill("#id_subject", "会员积分没到账")
    shop.fill("#id_body", "昨天买的奶茶没有积分")
    customer.shot("contact-us")
    shop.click("#contact-form button[type=submit]")
    shop.wait_for_url("**/shop/help/*/")
    ticket = Ticket.objects.get(subject="会员积分没到账")
    ticket_page = shop.url
    shop.evaluate("window.stillTheSamePage = true")  # gone if the page were reloaded

    # Their message and the automatic acknowledgement with the ticket's number.
    conversation = shop.locator("#conversation li.message")
    expect(conversation).to_have_count(2)
    expect(conversation.nth(0)).to_contain_text("昨天买的奶茶没有积分")
    expect(shop.locator("#conversation li.message.system")).to_contain_text(ticket.number)
    customer.shot("acknowledged")

    # An agent signs in, finds it in the inbox and replies.
    agent = EmployeeFactory(role=Role.CS_AGENT, home_location=None, display_name="客服小王")
    desk_screen = screens("help-agent", wide=True)
    desk = desk_screen.goto("/accounts/login/")
    desk.fill("#id_username", agent.user.username)
    desk.fill("#id_password", PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url("**/service/")
    desk_screen.goto("/service/?view=all")
    row = desk.locator(f'#tickets tr[data-ticket="{ticket.pk}"]')
    expect(row).to_contain_text("会员积分没到账")
    desk_screen.shot("inbox")
    row.locator("a").click()
    desk.wait_for_url(f"**/service/tickets/{ticket.pk}/")
    expect(desk.locator("#conversation")).to_contain_text("昨天买的奶茶没有积分")
    desk.fill("#reply-body", "您好，积分已经补上了")
    desk.click("#reply-form button[type=submit]")
    desk.wait_for_url(f"**/service/tickets/{ticket.pk}/")
    expect(desk.locator("#conversation li.message.agent")).to_contain_text("您好，积分已经补上了")
    desk_screen.shot("replied")

    # The member's page, still open, shows the reply by itself.
    reply = shop.locator("#conversation li.message.agent")
    expect(reply).to_contain_text("您好，积分已经补上了", timeout=POLL_TIMEOUT_MS)
    expect(reply).not_to_contain_text("客服小王")  # the customer sees "customer service", not the agent's name
    expect(conversation).to_have_count(3)
    assert shop.url == ticket_page and shop.evaluate("window.stillTheSamePage === true")  # never reloaded
    customer.shot("reply-arrived")

    customer.assert_no_console_errors()
    desk_screen.assert_no_console_errors()
