"""The PDF machinery (facilitator/paper.py): WeasyPrint renders our templates, fetches only our
own static files, and the answer is a download no cache keeps."""

from __future__ import annotations

import pytest
from weasyprint import HTML

from facilitator.paper import PAPER_ORIGIN, StaticOnlyFetcher, pdf_filename, pdf_response, render_pdf
from tests.support.pdf import pdf_pages, squeezed


def test_a_rendered_document_carries_the_home_name_title_and_page_number(app):
    with app.test_request_context():
        pdf = render_pdf("_paper.html", home_name="Ardenlea House", title="Test document")
    pages = pdf_pages(pdf)
    assert len(pages) == 1
    text = squeezed(pages[0])
    assert text.count("Ardenlea House") >= 2  # the page's margin box and the heading
    assert "Test document" in text
    assert "Page 1 of 1" in text


def test_the_print_stylesheet_is_served_from_our_static_folder(app):
    fetcher = StaticOnlyFetcher(app.static_folder)
    response = fetcher.fetch(f"{PAPER_ORIGIN}/static/css/paper.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


@pytest.mark.parametrize("url", [
    "https://example.org/static/css/paper.css",
    "http://127.0.0.1:5000/static/css/paper.css",
    "file:///etc/passwd",
    f"{PAPER_ORIGIN}/static/../../pyproject.toml",
    f"{PAPER_ORIGIN}/static/%2e%2e/%2e%2e/pyproject.toml",
    f"{PAPER_ORIGIN}/static/css/missing.css",
    f"{PAPER_ORIGIN}/admin/homes",
    "data:text/css,body{}",
])
def test_every_other_address_is_refused(app, url):
    with pytest.raises(ValueError):
        StaticOnlyFetcher(app.static_folder).fetch(url)


def test_an_outside_address_in_a_document_is_refused_not_fetched(app, caplog):
    html = ('<link rel="stylesheet" href="https://example.org/evil.css">'
            '<img src="http://127.0.0.1:9/tracker.png"><img src="file:///etc/hostname"><p>Hello</p>')
    fetcher = StaticOnlyFetcher(app.static_folder)
    with caplog.at_level("WARNING", logger="facilitator.paper"):
        pdf = HTML(string=html, base_url=f"{PAPER_ORIGIN}/", url_fetcher=fetcher).write_pdf()
    assert "Hello" in pdf_pages(pdf)[0]
    refused = [r.getMessage() for r in caplog.records if r.name == "facilitator.paper"]
    assert len(refused) == 3, refused


@pytest.mark.parametrize(("parts", "name"), [
    (("Ardenlea House", "assessment pack"), "ardenlea-house-assessment-pack.pdf"),
    (("Tígh na Mara", "action plan"), "tigh-na-mara-action-plan.pdf"),
    (('"; rm -rf / ', ""), "rm-rf.pdf"),
    (("",), "document.pdf"),
])
def test_file_names_are_safe_and_readable(parts, name):
    assert pdf_filename(*parts) == name


def test_the_answer_is_a_pdf_download_that_no_cache_keeps(app):
    response = pdf_response(b"%PDF-1.7 test", "plan.pdf")
    assert response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
