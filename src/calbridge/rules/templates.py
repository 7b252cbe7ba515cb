"""Email subject and body templates: Jinja2 in a sandbox, plain text (no HTML escaping).

A template sees ``event`` (the EventResponse JSON, camelCase: ``event.title``,
``event.startTime``, ``event.attendees``…), ``before`` (for updates, else None), ``change``
(e.g. ``event.created``) and ``rule`` (its name). An unknown name renders as empty text.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

_environment = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)


def compile_template(source: str) -> Template:
    """Raises ``jinja2.TemplateSyntaxError`` for a broken template (checked when saving)."""
    return _environment.from_string(source)


def render(source: str, context: dict[str, Any]) -> str:
    return compile_template(source).render(**context)
