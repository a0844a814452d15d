"""What a User-Agent says: a link scanner or a person, and the browser and device family, which is
all that is ever kept of it (join records, device tests)."""

from __future__ import annotations

import re
from functools import lru_cache

# Mail security gateways and chat previews open every link in a message before a person does.
# They must not count as a home joining. Matched case-insensitively against the User-Agent.
_SCANNERS = re.compile(
    r"bot\b|bot/|crawler|spider|slurp|preview|scanner|safelinks|safe links|proofpoint|mimecast|"
    r"barracuda|forcepoint|messagelabs|trendmicro|sophos|fireeye|ironport|"
    r"microsoft office|ms-office|msoffice|outlook-ios-android|"
    r"google-safety|googleimageproxy|feedfetcher|facebookexternalhit|whatsapp/|"
    r"skypeuripreview|curl/|wget/|python-|python/|go-http-client|java/|"
    r"libwww|okhttp|axios|node-fetch|headlesschrome|phantomjs|lighthouse",
    re.IGNORECASE,
)
_BROWSERS = [
    (re.compile(r"Edg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"SamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"Chrome/|CriOS/|Chromium/"), "Chrome"),
    (re.compile(r"Safari/"), "Safari"),
]
_DEVICES = [
    (re.compile(r"iPad"), "iPad"),
    (re.compile(r"iPhone"), "iPhone"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Macintosh|Mac OS X"), "Mac"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Linux"), "Linux"),
]


@lru_cache(maxsize=1024)  # a few browsers open most links: the regular expressions run once each
def is_link_scanner(user_agent: str) -> bool:
    """An empty User-Agent or a known scanner, preview fetcher or script."""
    return not user_agent.strip() or bool(_SCANNERS.search(user_agent))


OTHER_BROWSER = "Other browser"


def browser_family(user_agent: str) -> str:
    """"Safari", "Chrome", "Edge", "Firefox", "Samsung Internet", "Opera" or "Other browser"."""
    return next((name for pattern, name in _BROWSERS if pattern.search(user_agent)), OTHER_BROWSER)


def device_family(user_agent: str) -> str:
    """"iPad", "iPhone", "Android", "Windows", "Mac", "ChromeOS", "Linux", or "" when unknown."""
    return next((name for pattern, name in _DEVICES if pattern.search(user_agent)), "")


@lru_cache(maxsize=1024)
def user_agent_family(user_agent: str) -> str:
    """"Safari on iPad", "Chrome on Windows": enough to help a home, nothing more is kept."""
    browser, device = browser_family(user_agent), device_family(user_agent)
    return f"{browser} on {device}" if device else browser
