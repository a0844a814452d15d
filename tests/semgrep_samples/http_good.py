"""Outbound HTTP with a timeout: nothing here may be flagged."""

import urllib.request
from typing import Any

import httpx
import requests

TIMEOUT = (5, 15)


def fetch(url: str, **kwargs: Any) -> None:
    requests.get(url, timeout=TIMEOUT)
    requests.post(url, json={"a": 1}, timeout=10)
    requests.request("DELETE", url, timeout=TIMEOUT)
    httpx.get(url, timeout=5.0)
    urllib.request.urlopen(url, None, 10)
    urllib.request.urlopen(url, timeout=10)
    session = requests.Session()
    session.get(url, timeout=TIMEOUT)
    kwargs.setdefault("timeout", TIMEOUT)
    session.request("GET", url, **kwargs)
    requests.codes.get("ok")
    {"a": 1}.get("a")
