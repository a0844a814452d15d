"""The text of a PDF as a reader sees it, by poppler's ``pdftotext -layout`` (``make system-deps``
installs poppler-utils), page by page."""

from __future__ import annotations

import shutil
import subprocess

FORM_FEED = "\f"


def pdf_pages(pdf: bytes, layout: bool = True) -> list[str]:
    """The text of each page of ``pdf``: laid out as printed (a table's rows stay on their line),
    or with ``layout=False`` in reading order (each table cell's text stays together)."""
    assert pdf.startswith(b"%PDF-"), "not a PDF"
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: run `make system-deps` (poppler-utils)"
    mode = ["-layout"] if layout else []
    done = subprocess.run([tool, *mode, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                          check=True, timeout=60)
    pages = done.stdout.decode("utf-8").split(FORM_FEED)
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_text(pdf: bytes, layout: bool = True) -> str:
    """The whole text of ``pdf``, its pages joined."""
    return "\n".join(pdf_pages(pdf, layout))


def squeezed(text: str) -> str:
    """``text`` with every run of white space made one space (layout splits lines and columns)."""
    return " ".join(text.split())
