"""Documents people print, as real PDF files: a Jinja template rendered by WeasyPrint.

A document's template extends ``_paper.html`` (A4, black-and-white print CSS from
``static/css/paper.css``, the home's name and the page number in every page's margin boxes).
WeasyPrint fetches nothing from outside: its URL fetcher answers only files of our own ``static/``
folder, under an origin that exists nowhere else, so a template (or text typed by a user that
somehow reached one) can never make the server open another address or a local file.

The answer is a download (``Content-Type: application/pdf``, ``Cache-Control: no-store``: a
home's pack names its contacts and ratings, so no cache keeps a copy).
"""

from __future__ import annotations

import logging
import mimetypes
import re
import time
import unicodedata
from pathlib import Path
from typing import Any

from flask import Response, current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)

# The origin WeasyPrint resolves our templates' ``/static/...`` links against; nothing else answers.
PAPER_ORIGIN = "https://paper.facilitator.invalid"
STATIC_PREFIX = f"{PAPER_ORIGIN}/static/"
FILENAME_LIMIT = 80


class StaticOnlyFetcher(URLFetcher):
    """Serves the app's own static files; refuses every other address (logged, not fetched)."""

    def __init__(self, static_folder: str) -> None:
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self.root = Path(static_folder).resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self.static_path(url)
        if path is None:
            log.warning("PDF rendering refused to fetch %s", url[:200])
            raise ValueError("only the app's own static files are served to the PDF renderer")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def static_path(self, url: str) -> Path | None:
        """The file of ``static/`` that ``url`` names, or None (another address, or outside)."""
        if not url.startswith(STATIC_PREFIX):
            return None
        relative = url[len(STATIC_PREFIX):].split("?", 1)[0].split("#", 1)[0]
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path


def render_pdf(template: str, **context: Any) -> bytes:
    """The PDF of ``template`` rendered with ``context`` (which names ``home_name`` and ``title``
    for the margin boxes of ``_paper.html``)."""
    started = time.perf_counter()
    html = render_template(template, **context)
    fetcher = StaticOnlyFetcher(current_app.static_folder or "")
    pdf = HTML(string=html, base_url=f"{PAPER_ORIGIN}/", url_fetcher=fetcher).write_pdf()
    log.info("Rendered %s as a PDF of %d bytes in %.0f ms", template, len(pdf),
             (time.perf_counter() - started) * 1000)
    return pdf


def pdf_filename(*parts: str) -> str:
    """A safe, readable file name from its parts: ``Ardenlea House`` → ``ardenlea-house``."""
    words = " ".join(p for p in parts if p)
    ascii_only = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")[:FILENAME_LIMIT].strip("-")
    return f"{slug or 'document'}.pdf"


def pdf_response(pdf: bytes, filename: str) -> Response:
    """``pdf`` as a download named ``filename`` that no cache keeps."""
    response = Response(pdf, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def pdf_download(template: str, filename: str, **context: Any) -> Response:
    """Render ``template`` to a PDF and answer it as a download."""
    return pdf_response(render_pdf(template, **context), filename)
