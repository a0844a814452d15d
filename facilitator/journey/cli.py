"""``flask --app facilitator frameworks ...``: list the published self-assessment frameworks, and
publish a new version (the default one, or one from a JSON file)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.journey.framework_data import DEFAULT_FRAMEWORK, DomainSpec, FrameworkSpec
from facilitator.journey.frameworks import all_frameworks, publish_framework


@click.group("frameworks")
def frameworks_command() -> None:
    """Self-assessment frameworks: every version stays; rounds keep the one they were taken with."""


@frameworks_command.command("list")
def list_command() -> None:
    for f in all_frameworks():
        click.echo(f"{f.id}\t{f.version}\t{f.name}\t{len(f.domains)} domains")


@frameworks_command.command("publish")
@click.argument("spec_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish_command(spec_file: Path | None) -> None:
    """Publish a new version: SPEC_FILE is JSON {"name", "version", "domains": [{"key", "title",
    "prompts": [...], "key_question"?}]}; without it, the built-in default. New rounds use the newest."""
    spec = _read_spec(spec_file) if spec_file else DEFAULT_FRAMEWORK
    try:
        framework = publish_framework(spec)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Published {framework.name} version {framework.version} (id {framework.id}).")


def _read_spec(path: Path) -> FrameworkSpec:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        domains = tuple(DomainSpec(d["key"], d["title"], tuple(d["prompts"]), d.get("key_question"))
                        for d in data["domains"])
        spec = FrameworkSpec(str(data["name"]), str(data["version"]), domains)
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"{path} is not a framework: {exc}") from None
    keys = spec.domain_keys()
    if not keys or len(set(keys)) != len(keys):
        raise click.ClickException(f"{path}: each domain needs its own key, and there must be one.")
    return spec
