"""What a path serves: the methods a 405 and an OPTIONS answer list in ``Allow``."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette._utils import get_route_path
from starlette.routing import compile_path
from starlette.types import Scope

_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@lru_cache(maxsize=512)
def _pattern(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """Every method some route of this path serves (Starlette's own 405 names only the first
    route that matched the path), plus OPTIONS, which is always answered."""
    methods = {"OPTIONS"}
    path = get_route_path(scope)
    for context in iter_route_contexts(app.routes):
        if context.methods and context.path and _pattern(context.path).match(path):
            methods |= set(context.methods)
    return sorted(methods, key=lambda m: _ORDER.index(m) if m in _ORDER else len(_ORDER))
