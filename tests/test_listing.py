"""Issue 14, item 20: the users and homes tables are searched, sorted and paginated on the server
(``?q=``, ``?sort=``, ``?dir=``, ``?page=``), with plain links that keep the other parameters."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from facilitator.admin import services
from facilitator.extensions import db
from facilitator.listing import contains_pattern
from tests.support.factories import Auth, Factory


def names(page: str) -> list[str]:
    """The first cell of every row of the table's body, as text."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)[1]
    cells = re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>", body, re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def link(page: str, rel: str) -> dict[str, list[str]]:
    href = re.search(rf'<a rel="{rel}" href="([^"]+)"', page)[1]
    return parse_qs(urlsplit(html_lib.unescape(href)).query)


def showing(page: str) -> str:
    return " ".join(re.search(r'<p class="listing-count" role="status">(.*?)</p>', page, re.S)[1].split())


@pytest.fixture
def many_users(auth: Auth, make: Factory) -> list[str]:
    """The signed-in admin and 119 more (names "Person 001" …), so there are three pages."""
    auth.login(make.user("admin", name="Aaron Admin", email="aaron@example.org"))
    for n in range(1, 120):
        role = "lead" if n % 3 else "facilitator"
        services.create_user(f"person{n:03}@example.org", f"Person {n:03}", role)
    db.session.commit()
    return ["Aaron Admin"] + [f"Person {n:03}" for n in range(1, 120)]


def get(auth: Auth, url: str) -> str:
    response = auth.client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_users_come_fifty_a_page_with_links_to_the_next_and_previous(auth, many_users):
    first = get(auth, "/users")
    assert names(first) == many_users[:50]
    assert showing(first) == "Showing 1–50 of 120 users."
    assert 'rel="prev"' not in first and link(first, "next")["page"] == ["2"]
    second = get(auth, "/users?page=2")
    assert names(second) == many_users[50:100]
    assert showing(second) == "Showing 51–100 of 120 users."
    assert "page" not in link(second, "prev")  # page 1 is the plain URL
    third = get(auth, "/users?page=3")
    assert names(third) == many_users[100:] and 'rel="next"' not in third


def test_a_page_past_the_end_shows_the_last_page(auth, many_users):
    assert names(get(auth, "/users?page=99")) == many_users[100:]


def test_sorting_by_a_column_in_either_direction_and_the_links_keep_the_rest(auth, many_users):
    page = get(auth, "/users?sort=email&dir=desc&q=person")
    emails = re.findall(r"<td>(person\d+@example\.org)</td>", page)
    assert emails == sorted(emails, reverse=True) and emails[0] == "person119@example.org"
    assert 'aria-sort="descending"' in page
    assert link(page, "next") == {"q": ["person"], "sort": ["email"], "dir": ["desc"], "page": ["2"]}
    header = re.search(r'<th scope="col"[^>]*><a href="([^"]+)">Email', page)[1]
    expected = {"q": ["person"], "sort": ["email"], "dir": ["asc"]}
    assert parse_qs(urlsplit(html_lib.unescape(header)).query) == expected
    by_role = names(get(auth, "/users?sort=role"))
    assert by_role[0] == "Aaron Admin" and by_role[1:34] == [f"Person {n:03}" for n in range(3, 100, 3)]


def test_search_is_case_insensitive_on_name_and_email(auth, many_users):
    assert names(get(auth, "/users?q=PERSON 07")) == [f"Person {n:03}" for n in range(70, 80)]
    assert names(get(auth, "/users?q=Aaron@Example")) == ["Aaron Admin"]
    page = get(auth, "/users?q=nobody-at-all")
    assert names(page) == ["No users match “nobody-at-all”."] and "No users matching" in showing(page)


def test_sql_wildcards_in_the_search_are_taken_literally(auth, make, many_users):
    services.create_user("percent@example.org", "100% Ready", "lead")
    services.create_user("under@example.org", "Under_score", "lead")
    db.session.commit()
    assert names(get(auth, "/users?q=%25")) == ["100% Ready"]
    assert names(get(auth, "/users?q=_")) == ["Under_score"]
    assert names(get(auth, "/users?q=%5C")) == ["No users match “\\”."]
    assert contains_pattern("a%b_c\\") == "%a\\%b\\_c\\\\%"


@pytest.mark.parametrize("query", ["sort=password_hash", "sort=name;drop", "dir=sideways", "page=abc",
                                   "page=-1", "page=0", "page=99999999999999999999", "q=" + "x" * 500,
                                   "sort=&dir=&page=&q="])
def test_bad_parameters_are_ignored_safely(auth, many_users, query):
    page = get(auth, f"/users?{query}")
    if not query.startswith("q=x"):
        assert names(page) == many_users[:50]


def test_last_sign_in_sorts_with_the_never_signed_in_last_both_ways(auth, make, many_users):
    later = make.user("lead", name="Zed Later")
    Auth(auth.client.application.test_client(), make).login(later)
    up = names(get(auth, "/users?sort=last_sign_in"))
    down = names(get(auth, "/users?sort=last_sign_in&dir=desc"))
    assert up[:2] == ["Aaron Admin", "Zed Later"] and down[:2] == ["Zed Later", "Aaron Admin"]
    assert "Never" in get(auth, "/users?q=person 001")


def test_a_lead_sees_the_table_without_edit_links(auth, make, many_users):
    auth.logout()
    auth.login("lead")
    page = get(auth, "/users?q=person 00")
    assert len(names(page)) == 9 and "/users/" not in re.search(r"<tbody>.*</tbody>", page, re.S)[0]


@pytest.fixture
def many_homes(auth: Auth, make: Factory) -> None:
    auth.login("admin")
    for n in range(1, 61):
        services.create_home(f"Home {n:02}", "Fife" if n % 2 else "Highland", beds=None if n % 10 == 0 else n)
    db.session.commit()


def test_homes_are_searched_by_name_or_region_sorted_and_paginated(auth, many_homes):
    first = get(auth, "/homes")
    assert showing(first) == "Showing 1–50 of 60 homes." and names(first)[0] == "Home 01"
    assert names(get(auth, "/homes?page=2")) == [f"Home {n}" for n in range(51, 61)]
    highland = get(auth, "/homes?q=HIGH")
    assert showing(highland) == "Showing 1–30 of 30 homes matching “HIGH”."
    by_beds = names(get(auth, "/homes?sort=beds&dir=desc&page=2"))
    assert by_beds[-6:] == ["Home 10", "Home 20", "Home 30", "Home 40", "Home 50", "Home 60"]  # no beds: last
    assert names(get(auth, "/homes?sort=beds"))[0] == "Home 01"


def test_the_search_form_is_a_plain_get_form_keeping_the_sort(auth, many_homes):
    page = get(auth, "/homes?sort=region&dir=desc")
    form = re.search(r'<form method="get" action="/homes".*?</form>', page, re.S)[0]
    hidden: dict[str, Any] = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert hidden == {"sort": "region", "dir": "desc"}
    assert 'type="search" id="q" name="q"' in form


def test_a_home_is_found_by_a_contacts_email(auth, make, many_homes):
    home = make.home("Rowan Court", contacts=1)
    email = home.contacts[0].email
    assert names(get(auth, f"/homes?q={email.upper()}")) == ["Rowan Court"]
