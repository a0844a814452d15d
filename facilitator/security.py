"""Response headers every page carries.

Every response gets them, whatever produced it: pages, JSON, static files, redirects and the
error handlers' 403/404/429/500 answers (``after_request`` runs for all of them).

Pages reached by a link token (``/j/``, ``/h/``, ``/feeds/``) always send ``Referrer-Policy:
no-referrer``, so the token never travels to the meeting provider in a ``Referer`` header, and
(unless the view chose its own caching) ``Cache-Control: no-store``, so a shared iPad's browser
does not keep a copy of a contact's page.
Pages that show a secret (a set-up key, recovery codes, a reset link) are declared with
``@no_store`` (no cache keeps a copy) and ``@no_referrer``; views may also set
``g.referrer_policy`` for a page that needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

from facilitator.config import is_https

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "hid=(), midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), "
    "browsing-topics=()"
)
HSTS = "max-age=31536000; includeSubDomains"
TOKEN_PATH_PREFIXES = ("/j/", "/h/", "/feeds/", "/a/", "/q/")

# Sent on every response (a view may send its own value instead, never none).
BASE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Permitted-Cross-Domain-Policies": "none",
}


V = TypeVar("V", bound=Callable[..., Any])


def csp_with_form_targets(urls: Iterable[str]) -> str:
    """The CSP with ``form-action`` widened to the origins of ``urls``: for a page whose form posts
    here and is redirected on to one of them (browsers check ``form-action`` on that redirect)."""
    origins = sorted({f"{p.scheme}://{p.netloc}" for p in map(urlsplit, urls) if p.scheme == "https"})
    return CSP.replace("form-action 'self'", " ".join(["form-action 'self'", *origins]))


def no_store(view: V) -> V:
    """Declare a page that no browser or proxy may keep a copy of."""
    view.no_store = True  # type: ignore[attr-defined]
    return view


def no_referrer(view: V) -> V:
    """Declare a page whose address must never travel on in a ``Referer`` header."""
    view.no_referrer = True  # type: ignore[attr-defined]
    return view


def is_token_path(path: str) -> bool:
    return path.startswith(TOKEN_PATH_PREFIXES)


def init_app(app: Flask) -> None:
    https = is_https(app)

    @app.after_request
    def set_headers(response: Response) -> Response:
        headers = response.headers
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "no_store", False):
            headers["Cache-Control"] = "no-store"
        if getattr(view, "no_referrer", False):
            g.referrer_policy = "no-referrer"
        for name, value in BASE_HEADERS.items():
            headers.setdefault(name, value)
        if is_token_path(request.path):
            # Forced, not defaulted: a token must not leak through a view that forgot.
            headers["Referrer-Policy"] = "no-referrer"
            headers.setdefault("Cache-Control", "no-store")
        else:
            headers.setdefault("Referrer-Policy", g.get("referrer_policy", "same-origin"))
        if https:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if g.get("user") is not None:
            headers.setdefault("Cache-Control", "private, no-cache")
        return response
