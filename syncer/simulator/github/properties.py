"""Custom properties of a fake GitHub: `GET /orgs/{org}/properties/schema` and `GET /orgs/{org}/properties/values`.

As GitHub's REST description has them: the schema is a list of `custom-property` objects (the seeded definitions,
seed.CUSTOM_PROPERTIES); the values are `org-repo-custom-property-values` objects, one per repo the caller sees,
oldest first, paged like the org listing (`per_page` up to 100, `page`, a Link header), each listing every defined
property with its value (null when unset). Organization members read them (a personal access token, or an
installation on that org); anyone else gets a 404. A GHES fake older than 3.13 (`version`) has no such routes: 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from syncer.simulator import seed
from syncer.simulator.wire import json_response

if TYPE_CHECKING:
    from syncer.simulator.github.fake import FakeGitHub

PROPERTIES_DOC = "https://docs.github.com/rest/orgs/custom-properties"


def schema_json(api: str, org: str) -> list[dict[str, Any]]:
    """The org's `custom-property` definitions."""
    out = []
    for definition in seed.CUSTOM_PROPERTIES:
        name = definition["property_name"]
        url = f"{api}/orgs/{org}/properties/schema/{name}"
        out.append({"property_name": name, "url": url, "source_type": "organization", **definition})
    return out


def values_json(org: str, record: dict[str, Any]) -> dict[str, Any]:
    """One repo's `org-repo-custom-property-values`: every defined property, null when the repo has no value."""
    held = record.get("custom_properties") or {}
    properties = [
        {"property_name": d["property_name"], "value": held.get(d["property_name"])} for d in seed.CUSTOM_PROPERTIES
    ]
    name = str(record["name"])
    return {
        "repository_id": record["id"],
        "repository_name": name,
        "repository_full_name": f"{org}/{name}",
        "properties": properties,
    }


class PropertyEndpoints:
    """The custom property routes of one fake GitHub host."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    def routes(self) -> list[BaseRoute]:
        """`/orgs/{org}/properties/schema` and `/orgs/{org}/properties/values`."""
        return [
            Route("/orgs/{org}/properties/schema", self.schema, methods=["GET"]),
            Route("/orgs/{org}/properties/values", self.values, methods=["GET"]),
        ]

    def _org(self, request: Request) -> str | None:
        """The org the caller may read the properties of, or None (GitHub's 404)."""
        fake = self.fake
        org = fake.find_org(request.path_params["org"])
        if org is None or not fake.has_properties:
            return None
        principal = fake.principal(request)
        member = principal.kind == "user" or (principal.kind == "installation" and principal.org == org)
        return org if member else None

    async def schema(self, request: Request) -> Response:
        """`GET /orgs/{org}/properties/schema`."""
        org = self._org(request)
        if org is None:
            return self.fake.error(404, "Not Found", PROPERTIES_DOC)
        body = schema_json(self.fake.api_base(request), org)
        return json_response(body, media_type=self.fake.media_type)

    async def values(self, request: Request) -> Response:
        """`GET /orgs/{org}/properties/values`: paged, oldest repo first."""
        org = self._org(request)
        if org is None:
            return self.fake.error(404, "Not Found", PROPERTIES_DOC)
        repos = sorted(self.fake.orgs[org], key=lambda r: int(r["id"]))
        items, headers = self.fake.paginate(request, repos, f"/orgs/{org}/properties/values")
        body = [values_json(org, record) for record in items]
        return json_response(body, media_type=self.fake.media_type, headers=headers)
