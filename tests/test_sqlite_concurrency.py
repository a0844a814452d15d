"""Concurrent requests on the embedded SQLite default never see "database is locked"."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from facilitator.extensions import db
from facilitator.models import CareHome

pytestmark = pytest.mark.real_commits  # writers in several threads, each on its own connection


def test_concurrent_writes_through_the_api_all_succeed(app, api):
    api.as_user("admin")
    headers = {"Authorization": f"Bearer {api.token}"}
    results: list[int] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        client = app.test_client()
        try:
            for i in range(8):
                response = client.post("/api/v1/homes", json={"name": f"Home {n}-{i}"}, headers=headers)
                client.get("/api/v1/homes", headers=headers)
                results.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [201] * 48
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CareHome)) == 48
