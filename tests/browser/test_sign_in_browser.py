from facilitator.extensions import db
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory


def test_sign_in_and_reach_the_admin_home(live_server, page):
    admin = Factory(live_server.app).user("admin", name="Morag Campbell")
    db.session.commit()
    page.goto(f"{live_server.url}/login")
    assert serious_accessibility_problems(page) == []
    sign_in(page, live_server, admin.email, PASSWORD)
    assert page.get_by_role("heading", name="Welcome, Morag Campbell").is_visible()
    assert serious_accessibility_problems(page) == []


def test_wrong_password_shows_the_error_next_to_the_field(live_server, page):
    user = Factory(live_server.app).user("lead")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not the right one at all")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator(".field-error").inner_text().startswith("That email and password do not match")
    assert page.get_by_label("Email").input_value() == user.email
