"""Email subject and body templates: Jinja2 in a sandbox, plain text (no HTML escaping).

A template sees ``event`` (the EventResponse JSON, camelCase: ``event.title``,
``event.startTime``, ``event.attendees``…), ``before`` (for updates, else None), ``change``
(e.g. ``event.created``) and ``rule`` (its name). An unknown name renders as empty text.

Templates are written by users, so rendering is bounded (``render``), and callers on the event
loop use ``render_off_loop``, which renders in a thread:

- **time**: ``MAX_SECONDS`` of rendering;
- **loop iterations**: ``MAX_STEPS`` template lines executed (each loop iteration runs at least
  one), counted by a trace function on the rendering thread's template frames only;
- **output size**: ``MAX_OUTPUT_CHARS`` of output, and no value inside the template (a ``*``,
  ``%``, ``~``, a method or filter result) may grow beyond it either; integer arguments larger
  than it (``'x'|center(10**10)``, ``range(...)``) are refused before the call is made, so no
  single step can allocate without bound.

Exceeding a limit raises ``TemplateLimitExceeded``; any other failure while rendering (a
division by zero, a recursion too deep) becomes ``TemplateRenderFailed``. Both are
``TemplateError``s, which a rule run records as its action's error.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from jinja2 import Template, meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import TemplateError, TemplateRuntimeError
from jinja2.nodes import Concat
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from calbridge.event.schemas import EventResponse

MAX_SECONDS = 1.0
MAX_STEPS = 100_000
MAX_OUTPUT_CHARS = 100_000
# Jinja compiles ``from_string`` templates under this file name; only those frames are counted.
_TEMPLATE_FILE = "<template>"
_SIZED = (str, bytes, list, tuple, dict, set)
# Where a format string can ask for a width or precision: after ``%`` (and flags), or in ``{…}``.
_FORMAT_SIZES = re.compile(r"%[-#0 +]*(\d*)(?:\.(\d+))?|\{[^{}]*\}")
_DIGITS = re.compile(r"\d+")


class TemplateLimitExceeded(TemplateRuntimeError):
    """Rendering went past one of the limits in the module's docstring."""


class TemplateRenderFailed(TemplateRuntimeError):
    """Rendering raised something that is not a template error (``1 / 0``, deep recursion)."""


def _check_size(value: Any) -> Any:
    if isinstance(value, _SIZED) and len(value) > MAX_OUTPUT_CHARS:
        raise TemplateLimitExceeded(
            f"a value in the template grew beyond {MAX_OUTPUT_CHARS} characters"
        )
    return value


def _check_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT_CHARS:
            raise TemplateLimitExceeded(
                f"a number above {MAX_OUTPUT_CHARS} cannot be passed to a function"
            )


def _check_format(text: Any) -> None:
    """A width or precision in a format string (``%20000000s``, ``{:>20000000}``) is a size."""
    if not isinstance(text, str):
        return
    limit = len(str(MAX_OUTPUT_CHARS))
    specs = (match.group(0) for match in _FORMAT_SIZES.finditer(text))
    for digits in (number for spec in specs for number in _DIGITS.findall(spec)):
        if len(digits.lstrip("0")) > limit or int(digits) > MAX_OUTPUT_CHARS:
            raise TemplateLimitExceeded(f"a format width above {MAX_OUTPUT_CHARS} is not allowed")


def _checked_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja's pass_context/pass_environment marks
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(args, kwargs)
        if name == "format" and args:
            _check_format(args[0])  # ``do_format(value, *args)``: the value is the format
        return _check_size(function(*args, **kwargs))

    return checked


class _BoundedCodeGenerator(CodeGenerator):
    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        # ``a ~ b`` is compiled to a join the sandbox does not see; check what it builds.
        self.write("environment.checked_size(")
        super().visit_Concat(node, frame)
        self.write(")")


class _BoundedEnvironment(SandboxedEnvironment):
    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self) -> None:
        super().__init__(autoescape=False, keep_trailing_newline=True)
        self.filters = {name: _checked_filter(name, f) for name, f in self.filters.items()}

    def checked_size(self, value: Any) -> Any:
        return _check_size(value)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(value.__self__)  # ``'{:>20000000}'.format(1)``
        return wrapped

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sized, count in ((left, right), (right, left)):
                if (
                    isinstance(sized, _SIZED)
                    and isinstance(count, int)
                    and len(sized) * count > MAX_OUTPUT_CHARS
                ):
                    raise TemplateLimitExceeded(
                        f"a value in the template grew beyond {MAX_OUTPUT_CHARS} characters"
                    )
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise TemplateLimitExceeded("an exponent above 100 is not allowed")
        if operator == "%":
            _check_format(left)
        return _check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_arguments(args, kwargs)
        return _check_size(super().call(__context, __obj, *args, **kwargs))


_environment = _BoundedEnvironment()


# What a template may name (see the module docstring), and the fields ``event``/``before`` have.
TEMPLATE_NAMES = frozenset({"event", "before", "change", "rule"})
EVENT_FIELDS = frozenset(field.alias or name for name, field in EventResponse.model_fields.items())


def unknown_names(source: str) -> list[str]:
    """Names the template uses that it will never be given (``evnt``, ``event.titel``), so a
    typo is refused when the rule is saved rather than rendering as empty text at run time.
    Raises ``jinja2.TemplateSyntaxError`` for a broken template."""
    tree = _environment.parse(source)
    known = TEMPLATE_NAMES | set(_environment.globals)
    unknown = set(meta.find_undeclared_variables(tree)) - known
    for node in tree.find_all(nodes.Getattr):
        owner = node.node.name if isinstance(node.node, nodes.Name) else None
        if owner in {"event", "before"} and node.attr not in EVENT_FIELDS:
            unknown.add(f"{owner}.{node.attr}")
    return sorted(unknown)


def compile_template(source: str) -> Template:
    """Raises ``jinja2.TemplateSyntaxError`` for a broken template (checked when saving)."""
    return _environment.from_string(source)


class _Budget:
    """The trace function that stops a template running too long or looping too often."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.steps = 0

    def on_call(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "call" and frame.f_code.co_filename == _TEMPLATE_FILE:
            return self.on_line
        return None

    def on_line(self, _frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "line":
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise TemplateLimitExceeded(
                    f"the template ran more than {MAX_STEPS} steps (loop iterations)"
                )
            if time.monotonic() > self.deadline:
                raise TemplateLimitExceeded(f"the template ran longer than {MAX_SECONDS:g} s")
        return self.on_line


def render(source: str, context: dict[str, Any]) -> str:
    """Render within the limits (blocking: call ``render_off_loop`` from async code)."""
    template = compile_template(source)
    budget = _Budget()
    previous = sys.gettrace()
    sys.settrace(budget.on_call)
    try:
        parts: list[str] = []
        size = 0
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateLimitExceeded(
                    f"the template's output grew beyond {MAX_OUTPUT_CHARS} characters"
                )
            parts.append(part)
        return "".join(parts)
    except TemplateError:
        raise
    except Exception as error:
        raise TemplateRenderFailed(f"{type(error).__name__}: {error}") from None
    finally:
        sys.settrace(previous)


async def render_off_loop(sources: list[str], context: dict[str, Any]) -> list[str]:
    """Render several templates in one worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(lambda: [render(source, context) for source in sources])
