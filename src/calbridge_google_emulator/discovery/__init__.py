"""Google's Calendar v3 discovery document, and routes built from its method table.

Each served method is declared by its discovery id (`calendar.events.list`); the route's HTTP
method, path and accepted OAuth scopes all come from the document, so they cannot drift from
Google's. See `README.md` here for where the document comes from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from starlette.routing import Route
from starlette.types import ASGIApp

API_PREFIX = "/calendar/v3/"


@dataclass(frozen=True)
class Method:
    id: str
    http_method: str
    path: str
    scopes: frozenset[str]


@cache
def document() -> dict[str, Any]:
    """The discovery document as shipped in this package."""
    text = resources.files(__name__).joinpath("calendar.v3.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def methods() -> dict[str, Method]:
    """Every method of the document by id, nested resources included."""
    found: dict[str, Method] = {}

    def walk(resources_: dict[str, Any]) -> None:
        for resource in resources_.values():
            for spec in resource.get("methods", {}).values():
                found[spec["id"]] = Method(
                    spec["id"], spec["httpMethod"], spec["path"], frozenset(spec.get("scopes", ()))
                )
            walk(resource.get("resources", {}))

    walk(document()["resources"])
    return found


def scopes(method_id: str) -> frozenset[str]:
    """The OAuth scopes Google accepts for a method (any one of them is enough)."""
    return methods()[method_id].scopes


class ApiRoute(Route):
    """A Calendar API route for one discovery method; `method_id` names it."""

    def __init__(self, method_id: str, endpoint: ASGIApp | Any) -> None:
        method = methods()[method_id]
        super().__init__(API_PREFIX + method.path, endpoint, methods=[method.http_method])
        self.method_id = method_id
