"""Screens of the resource library: everyone who reads homes sees it; facilitators and admins
add, edit and import."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from facilitator.access import MANAGERS, READERS, allow, get_or_404
from facilitator.errors import DomainError
from facilitator.forms import show_errors, validate_all
from facilitator.models import KsfLevel, Publisher, Resource, ResourceFormat
from facilitator.resources import importer, queries, services
from facilitator.resources.blueprint import bp
from facilitator.resources.forms import ImportForm, ResourceForm

LABELS = {"levels": KsfLevel, "formats": ResourceFormat, "publishers": Publisher}


@bp.route("/resources")
@allow(READERS)
def library() -> Any:
    """Filtered by ``level``, ``topic``, ``format`` and ``q``; an unknown level or format filters nothing."""
    level = request.args.get("level") if request.args.get("level") in services.LEVELS else None
    format = request.args.get("format") if request.args.get("format") in services.FORMATS else None
    topic = queries.topic_key(request.args.get("topic", "")) or None
    q = request.args.get("q", "").strip()[:200] or None
    return render_template("resources/library.html", resources=queries.search(level, topic, format, q),
                           topics=queries.all_topics(), level=level, topic=topic, format=format, q=q,
                           **LABELS)


@bp.route("/resources/new", methods=["GET", "POST"])
@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit_resource(resource_id: int | None = None) -> Any:
    resource = get_or_404(Resource, resource_id) if resource_id else None
    form = ResourceForm(resource)
    if not validate_all(form, lambda: services.resource_problems(form.resource_data())):
        status = 422 if request.method == "POST" else 200
        return render_template("resources/form.html", form=form, resource=resource), status
    try:
        saved = services.save_resource(form.resource_data(), resource, g.user)
    except DomainError as exc:
        show_errors(form, exc)
        return render_template("resources/form.html", form=form, resource=resource), 422
    flash(f"Saved {saved.title}.", "success")
    return redirect(url_for("resources.library"))


@bp.route("/resources/import", methods=["GET", "POST"])
@allow(MANAGERS)
def import_resources() -> Any:
    """A file with any problem imports nothing (422 rolls the request back) and lists them all."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("resources/import.html", form=form), 422 if request.method == "POST" else 200
    try:
        result = importer.import_resources(form.file.data.read(), g.user)
    except DomainError as exc:
        show_errors(form, exc, renames={"body": "file"})
        return render_template("resources/import.html", form=form), 422
    if result.errors:
        return render_template("resources/import.html", form=form, errors=result.errors), 422
    flash(f"Imported the file: {result.created} resources added, {result.updated} updated.", "success")
    return redirect(url_for("resources.library"))
