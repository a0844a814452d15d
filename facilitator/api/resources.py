"""The resource library (issue 19). Facilitators and admins write; leads read too."""

from __future__ import annotations

from dataclasses import asdict

from flask import g

from facilitator.access import MANAGERS, READERS, get_or_404
from facilitator.api.core import operation
from facilitator.api.resource_schemas import (
    ResourceCreate,
    ResourceList,
    ResourceOut,
    ResourceQuery,
    ResourceUpdate,
)
from facilitator.api.schemas import patch_fields
from facilitator.models import Resource
from facilitator.resources import queries, services


@operation("/resources", "GET", roles=READERS, query=ResourceQuery, response=ResourceList,
           summary="The resource library, by KSF level, topic and format, and words in its title "
                   "or description")
def list_resources(query: ResourceQuery) -> ResourceList:
    found = queries.search(query.level, query.topic, query.format, query.q)
    return ResourceList(resources=[ResourceOut.of(r) for r in found])


@operation("/resources", "POST", roles=MANAGERS, body=ResourceCreate, response=ResourceOut, status=201,
           summary="Add a resource to the library")
def create_resource(body: ResourceCreate) -> ResourceOut:
    return ResourceOut.of(services.save_resource(services.ResourceData(**body.model_dump()), user=g.user))


@operation("/resources/<int:resource_id>", "PATCH", roles=MANAGERS, body=ResourceUpdate, response=ResourceOut,
           summary="Change a resource (only the fields given)")
def update_resource(resource_id: int, body: ResourceUpdate) -> ResourceOut:
    resource = get_or_404(Resource, resource_id)
    changed = {**asdict(services.data_of(resource)),
               **patch_fields(body, nullable=frozenset({"minutes", "last_checked_on"}))}
    return ResourceOut.of(services.save_resource(services.ResourceData(**changed), resource))
