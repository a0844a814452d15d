"""Every HTML form, submitted with hostile values as everyone who can see it: never a 500, never
the hostile markup echoed back unescaped.

Forms are found, not listed: each role (and an anonymous visitor with a contact's links) crawls
the site from every GET route of the URL map and the links on the pages it reaches, staying on
this site, and every ``<form>`` on those pages is parsed (inputs, selects, textareas, buttons). A
form added to any page later is fuzzed without a change here. Each form is sent with its CSRF
token:

- ``field``: one field at a time gets a hostile value while the others keep a plausible one (as
  the page filled them, or a valid value of their type), so validation of the other fields passes
  and the value reaches the service and the database. Free-text fields get every hostile value,
  other fields (selects, numbers, dates, hidden ones) a shorter list;
- ``all``: every field at once gets the same hostile value.

A redirect is followed once, so a flash message that repeats the input is checked too, and the
site is crawled again at the end, so every page showing a stored value is checked. Two forms
are never sent, because they end the very session the crawl runs in: sign out and sign out
everywhere.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.crawl import ROLES, UNKNOWN_ID, World, build_world, get_urls, signed_in, world_config
from tests.support.factories import Auth

HOSTILE = {
    "long": "x" * 10_000,
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "sql-or": "' OR 1=1 --",
    "sql-drop": "Robert'); DROP TABLE users; --",
    "nul": "before\x00after",
    "lone-cr": "one\rtwo\r",
    "control": "\x01\x07\x08\x0b\x0c\x1b[31m\x7f",
    "rtl": "\u202etxt.exe\u202c",
    "emoji": "Ardenlea 🏡👩🏽‍⚕️🧑‍🤝‍🧑",
    "format": "%s%n{0}{{7*7}}${jndi:x}",
    "unicode-digits": "١٢٣",
    "negative": "-1",
    "huge-number": "99999999999999999999999",
}
# Markup that must never come back as markup (it would run in the page).
UNESCAPED = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
TEXT_TYPES = {"text", "email", "password", "search", "tel", "url", "textarea", ""}
FOR_OTHER_FIELDS = ("long", "script", "sql-or", "nul", "negative", "huge-number", "emoji")
PLAUSIBLE = {"email": "fuzz.{n}@example.org", "password": "correct horse battery staple {n}",
             "number": "1", "date": "2030-01-15", "time": "10:00", "datetime-local": "2030-01-15T10:00",
             "url": "https://meet.example.org/j/{n}", "tel": "+44 131 496 0000", "month": "2030-01"}
NEVER_SUBMIT = re.compile(r"/logout$|/sign-out-everywhere$")
SKIP_LINKS = re.compile(r"^/(static|api)/|\.ics$|\.csv$|/logout$")
MAX_PAGES = 250


@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "textarea" or "button"
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)

    @property
    def key(self) -> tuple[Any, ...]:
        """Forms from one template (the same form for another row) count once."""
        action = re.sub(r"/\d+(?=/|$|\?)", "/<id>", urlsplit(self.action).path)
        return (self.method, action, tuple(re.sub(r"\d+", "<n>", f.name) for f in self.fields))


class PageParser(HTMLParser):
    """The links and forms of one page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(self.page, action, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "reset", "file"):
                if kind == "submit":
                    self._form.fields.append(Field(a["name"], "button", a.get("value", "")))
                return
            self._form.fields.append(Field(a["name"], kind, a.get("value", ""), checked="checked" in a))
        elif tag == "button" and a.get("name"):
            self._form.fields.append(Field(a["name"], "button", a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = Field(a["name"], "select")
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a or not self._select.value:
                self._select.value = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field(a["name"], "textarea")
            self._form.fields.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def same_site_path(page: str, href: str) -> str | None:
    url = urlsplit(urljoin(page, href))
    if url.scheme not in ("", "http") or url.netloc not in ("", "localhost"):
        return None
    path = url.path + (f"?{url.query}" if url.query else "")
    return None if SKIP_LINKS.search(url.path) else path


def crawl(client: FlaskClient, starts: list[str]) -> tuple[dict[tuple[Any, ...], Form], list[str]]:
    """Pages reachable from ``starts``; their forms (one per action and field set) and 500s."""
    queue, seen = deque(starts), set(starts)
    forms: dict[tuple[Any, ...], Form] = {}
    errors: list[str] = []
    visited = 0
    while queue and visited < MAX_PAGES:
        page = queue.popleft()
        visited += 1
        response = client.get(page)
        response.close()
        check_body(response, f"GET {page}", errors)
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        parser = PageParser(page)
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            forms.setdefault(form.key, form)
        for href in parser.links:
            path = same_site_path(page, href)
            if path and path not in seen:
                seen.add(path)
                queue.append(path)
    return forms, errors


def plausible(f: Field, n: int) -> str:
    """A value the field would accept: the page's own, else one of its type."""
    if f.kind == "select":
        return f.value or next((o for o in f.options if o), "")
    if f.value:
        return f.value
    return PLAUSIBLE.get(f.kind, "Fuzz {n}").format(n=n)


def payload(form: Form, target: Field | None, value: str, button: Field | None,
            n: int) -> dict[str, list[str]]:
    """The form's data with ``value`` in ``target`` (in every field when ``target`` is None)."""
    data: dict[str, list[str]] = {}
    radios: dict[str, str] = {}
    for f in form.fields:
        hostile = target is None or f is target or (f.kind == "radio" and f.name == target.name)
        if f.kind == "button" or (f.kind == "radio" and not hostile and radios.get(f.name)):
            continue
        if f.name == "csrf_token":
            data.setdefault(f.name, []).append(f.value)
        elif hostile:
            data[f.name] = [value] if f.kind in ("radio", "checkbox") else data.get(f.name, []) + [value]
        elif f.kind == "radio":
            if f.checked or f.name not in radios:
                radios[f.name] = f.value
        elif f.kind == "checkbox":
            if f.checked:
                data.setdefault(f.name, []).append(f.value or "y")
        else:
            data.setdefault(f.name, []).append(plausible(f, n))
    for name, chosen in radios.items():
        data.setdefault(name, [chosen])
    if button is not None:
        data[button.name] = [button.value]
    return data


def submissions(form: Form) -> list[tuple[str, Field | None, str]]:
    """(label, field or None for all, value) for every submission of ``form``."""
    fields = [f for f in form.fields if f.kind != "button" and f.name != "csrf_token"]
    plan: list[tuple[str, Field | None, str]] = []
    seen: set[str] = set()
    for f in fields:
        if f.kind in ("radio", "checkbox") and f.name in seen:
            continue
        seen.add(f.name)
        names = HOSTILE if f.kind in TEXT_TYPES else FOR_OTHER_FIELDS
        plan += [(f"{f.name}={name}", f, HOSTILE[name]) for name in names]
    plan += [(f"all={name}", None, value) for name, value in HOSTILE.items()]
    return plan


def check_body(response: Any, what: str, problems: list[str]) -> None:
    if response.status_code >= 500:
        problems.append(f"{what}: {response.status_code}")
    if response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        for markup in UNESCAPED:
            if markup in body:
                problems.append(f"{what}: {markup!r} is in the page unescaped")


def fuzz(client: FlaskClient, forms: dict[tuple[Any, ...], Form], relogin: Any) -> list[str]:
    problems: list[str] = []
    counter = itertools.count(1)
    for form in forms.values():
        action = urlsplit(form.action)
        target = action.path + (f"?{action.query}" if action.query else "")
        if NEVER_SUBMIT.search(action.path) or SKIP_LINKS.search(action.path):
            continue
        buttons = itertools.cycle([f for f in form.fields if f.kind == "button"] or [None])
        for label, field_, value in submissions(form):
            data = payload(form, field_, value, next(buttons), next(counter))
            what = f"{form.method.upper()} {target} (form on {form.page}) [{label}]"
            if form.method == "post":
                response = client.post(target, data=data)
            else:
                response = client.get(target, query_string=data)
            response.close()
            check_body(response, what, problems)
            if response.status_code in (301, 302, 303) and response.location:
                path = same_site_path(target, response.location)
                if path:
                    followed = client.get(path)
                    followed.close()
                    check_body(followed, f"{what} -> GET {path}", problems)
                    if followed.status_code == 302 and "/login" in (followed.location or ""):
                        relogin()
    return problems


def start_pages(app: Flask, world: World) -> list[str]:
    """Every GET route with real arguments (unknown ids only give 404 pages without forms)."""
    pages = ["/"]
    for _rule, url in get_urls(app, world):
        if not SKIP_LINKS.search(url) and str(UNKNOWN_ID) not in url and url not in pages:
            pages.append(url)
    return pages


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_every_form_survives_hostile_input(make_app: Any, make: Any, who: str) -> None:
    app = make_app(**world_config())
    with app.app_context():
        world = build_world(make)
        client = app.test_client() if who == "anonymous" else signed_in(app, make, world.users[who])
        starts = start_pages(app, world)

    def relogin() -> None:
        """A form that changed the user's own account may have ended the session: sign in again."""
        if who != "anonymous":
            with app.app_context():
                Auth(client, make).login(world.users[who])

    forms, errors = crawl(client, starts)
    assert forms, f"{who}: no forms found on {len(starts)} start pages"
    problems = errors + fuzz(client, forms, relogin)
    # Again, now that the hostile values are stored: every page that lists them must escape them.
    if who != "anonymous" and client.get("/").status_code == 302:
        relogin()
    problems += crawl(client, starts)[1]
    assert not problems, f"{len(problems)} problems for {who}:\n" + "\n".join(problems[:200])
