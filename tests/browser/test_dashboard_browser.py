"""A lead filters the dashboard to one group and downloads that group's CSV, in Chromium."""

from __future__ import annotations

import csv
import io

from facilitator.demo import load_demo
from facilitator.extensions import db
from tests.browser.conftest import serious_accessibility_problems, sign_in

PASSWORD = "demo-password-2024"
GROUP = "East and Fife PSL"


def test_a_lead_filters_the_dashboard_and_downloads_the_csv(live_server, page, tmp_path):
    load_demo(PASSWORD)
    db.session.commit()
    sign_in(page, live_server, "lead@demo.facilitator.scot", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{live_server.url}/reports/attendance")
    assert page.get_by_role("heading", name="Attendance and engagement").is_visible()
    assert page.locator("table.engagement tbody tr").count() == 12
    assert serious_accessibility_problems(page) == []

    page.get_by_label("Group").select_option(label=GROUP)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/reports/attendance?group_id=*")
    rows = page.locator("table.engagement tbody tr")
    assert rows.count() == 4
    assert set(rows.locator("td:nth-child(2)").all_inner_texts()) == {GROUP}
    assert page.locator("svg.heatmap").count() == 1
    assert serious_accessibility_problems(page) == []

    page.emulate_media(media="print")
    assert not page.locator("form.filters").is_visible()
    assert page.locator("svg.heatmap").is_visible()
    page.emulate_media(media="screen")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    name = download.suggested_filename
    assert name.startswith("attendance-") and name.endswith(".csv")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    exported = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert exported and {row["group"] for row in exported} == {GROUP}
    assert len({row["home_id"] for row in exported}) == 4
