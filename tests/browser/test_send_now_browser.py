"""Send now in Chromium (issue 14, item 19): the facilitator's session page lists every email with
where it stands; with the mail server down, Send now keeps them queued and says so; once it is
back, Send now delivers them (a real SMTP server on loopback, aiosmtpd). axe stays clean."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.browser.test_accessibility_browser import ACCOUNTS, PASSWORD, seed
from tests.test_outbox import SmtpServer


def test_send_now_through_an_outage_and_after_it(make_live_server, page, artefacts):
    smtp = SmtpServer()
    try:
        live = make_live_server(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                                SMTP_STARTTLS=False, SMTP_TIMEOUT=5)
        world = seed(live)
        sign_in(page, live, ACCOUNTS["facilitator"], PASSWORD)
        page.goto(f"{live.url}/sessions/{world.upcoming}")
        emails = page.get_by_role("region", name="Emails for this session")
        expect(emails.locator("td.email-queued")).to_have_count(3)
        expect(emails.get_by_role("row", name="Rowan Court")).to_have_count(2)

        page.get_by_role("button", name="Send now").click()  # nothing listens on the port yet
        flash = page.locator(".flashes")
        expect(flash).to_contain_text("Sent 0, 1 failed: The mail server could not be reached.")
        expect(flash).to_contain_text("nothing is lost")
        expect(flash).to_contain_text("2 more were not tried")
        expect(emails.locator("td.email-will_retry")).to_have_count(1)
        expect(emails.locator("td.email-queued")).to_have_count(2)
        expect(emails.locator("td.email-will_retry").first).to_contain_text("Will retry at")
        expect(emails.locator("td.email-will_retry").first).to_contain_text("could not be reached")
        artefacts.step(page, "outage")
        assert serious_accessibility_problems(page) == []

        smtp.start()
        page.get_by_role("button", name="Send now").click()
        expect(flash).to_have_text("Sent 3.")
        expect(emails.locator("td.email-sent")).to_have_count(3)
        expect(page.get_by_role("button", name="Send now")).to_have_count(0)
        assert len(smtp.received) == 3
        assert serious_accessibility_problems(page) == []
    finally:
        smtp.stop()
