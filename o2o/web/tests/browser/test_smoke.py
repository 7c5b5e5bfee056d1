import pytest

from o2o.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_sign_in_page_renders_in_chinese_without_console_errors(screens, clerk):
    desk = screens("smoke")

    page = desk.goto("/accounts/login/")

    assert page.locator("h1").inner_text() == "员工登录"
    page.fill("#id_username", clerk.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/counter/")
    desk.shot("signed-in")
    desk.assert_no_console_errors()
