"""Factories that create records through the real services, and signed-in clients."""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from facilitator.admin import services
from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from facilitator.models import CareHome, Group, User

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


class Factory:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def user(self, role: str = "facilitator", **kwargs: Any) -> User:
        n = next(_counter)
        user = services.create_user(
            kwargs.pop("email", f"{role}{n}@example.org"), kwargs.pop("name", f"{role.title()} {n}"),
            role, kwargs.pop("password", PASSWORD), kwargs.pop("supervisor_id", None))
        db.session.commit()
        return user

    def home(self, name: str | None = None, contacts: int = 2, **kwargs: Any) -> CareHome:
        n = next(_counter)
        data = [services.ContactData(f"Contact {n}-{i}", f"contact{n}-{i}@home{n}.example", "manager")
                for i in range(contacts)]
        home = services.create_home(name or f"Home {n}", kwargs.pop("region", "Fife"),
                                    contacts=data, **kwargs)
        db.session.commit()
        return home

    def group(self, name: str | None = None, facilitators: list[User] = (), homes: list[CareHome] = (),
              joined_on: date = date(2026, 1, 5), provider: str = "link") -> Group:
        n = next(_counter)
        group = services.create_group(name or f"Group {n}", provider, 90, [f.id for f in facilitators])
        for home in homes:
            services.add_member(group, home.id, joined_on)
        db.session.commit()
        return group


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Auth:
    def __init__(self, client: FlaskClient, make: Factory) -> None:
        self.client = client
        self.make = make

    def login(self, user_or_role: User | str = "facilitator", password: str = PASSWORD) -> User:
        user = self.make.user(user_or_role) if isinstance(user_or_role, str) else user_or_role
        response = self.post("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    def post(self, url: str, data: dict[str, Any], page: str | None = None) -> Any:
        """POST a form with the CSRF token taken from ``page`` (or the form's own URL)."""
        html = self.client.get(page or url).get_data(as_text=True)
        if self.client.application.config.get("WTF_CSRF_ENABLED", True):
            data = {**data, "csrf_token": csrf_token(html)}
        return self.client.post(url, data=data)

    def logout(self) -> Any:
        return self.post("/logout", {}, page="/")


class ApiClient:
    def __init__(self, app: Flask, make: Factory) -> None:
        self.client = app.test_client()
        self.make = make
        self.token: str | None = None

    def as_user(self, user_or_role: User | str) -> User:
        user = self.make.user(user_or_role) if isinstance(user_or_role, str) else user_or_role
        self.token = issue_api_token(user)
        db.session.commit()
        return user

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self._headers(), **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(url, json=json, headers=self._headers(), **kw)

    def patch(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(url, json=json, headers=self._headers(), **kw)

    def put(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.put(url, json=json, headers=self._headers(), **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self._headers(), **kw)
