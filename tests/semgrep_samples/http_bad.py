"""Outbound HTTP without a timeout: every marked line must be flagged."""

import urllib.request
from urllib.request import urlopen

import httpx
import requests


def fetch(url: str) -> None:
    requests.get(url)  # expect: http-call-without-timeout
    requests.post(url, json={"a": 1})  # expect: http-call-without-timeout
    requests.request("DELETE", url)  # expect: http-call-without-timeout
    httpx.get(url)  # expect: http-call-without-timeout
    urllib.request.urlopen(url)  # expect: http-call-without-timeout
    urlopen(url, b"data")  # expect: http-call-without-timeout
    session = requests.Session()
    session.get(url)  # expect: http-call-without-timeout
    with requests.Session() as other:
        other.patch(url, data="x")  # expect: http-call-without-timeout
    requests.get(url, timeout=None)  # expect: http-timeout-none
    session.request("GET", url, timeout=None)  # expect: http-timeout-none
