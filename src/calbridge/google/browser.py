"""Binding a connect flow to the browser that started it.

The admin panel's "Connect Google Account" action (admin sign-in and CSRF checked there) calls
:func:`connect_redirect`: it makes a random binding, starts the flow with it, and answers a
redirect to Google that also sets the binding in a signed, HttpOnly, SameSite=Lax cookie scoped
to ``/google/oauth`` (the admin session cookie is scoped to ``/admin`` and never reaches the
callback). The callback (``GET /google/oauth/callback``) reads the cookie back and hands it to
``consume_state``, so a ``state`` copied into another browser cannot finish the flow.

A callback that fails is answered for whoever asked: a browser (its ``Accept`` ranks
``text/html`` above JSON) gets a small page saying what went wrong with a link back to the
page the flow was started from; an API client gets problem+json.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.errors import CalbridgeError
from calbridge.google.oauth import start_connect
from calbridge.http import problem_response
from calbridge.services import services_of
from calbridge.settings import Settings

COOKIE_NAME = "calbridge_google_oauth"
COOKIE_PATH = "/google/oauth"
# Where a failed callback links to when its state (and so its account page) is unknown.
PANEL_HOME = "/admin/workspaces"
JSON_TYPES = ("application/json", "application/problem+json")
# The callback is not an admin page (no admin session reaches it), so it renders its own page in
# the panel's look rather than importing the panel's renderer: google sits below admin.
FAILURE_PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }} · calbridge</title>
  <link rel="stylesheet" href="/admin/static/admin.css">
</head>
<body>
<header class="topbar">
  <a class="brand" href="{{ home }}">calbridge <span>admin</span></a>
</header>
<main>
<section class="card narrow" id="google-callback-error">
  <h1>{{ title }}</h1>
  <p role="alert">{{ message }}</p>
  <p class="muted">Nothing was stored. To try again, press Connect on the account page.</p>
  <p><a href="{{ back }}" id="google-error-back">{{ back_label }}</a></p>
</section>
</main>
</body>
</html>
""")


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="calbridge-google-oauth-binding")


def sign_binding(settings: Settings, binding: str) -> str:
    return _serializer(settings).dumps(binding)


def read_binding(request: Request) -> str:
    """The binding in the request's cookie, or "" if it is missing, forged or too old."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return ""
    settings = services_of(request).settings
    try:
        value = _serializer(settings).loads(raw, max_age=settings.google_oauth_state_ttl_seconds)
    except BadSignature:
        return ""
    return value if isinstance(value, str) else ""


def set_binding_cookie(request: Request, response: Response, binding: str) -> None:
    settings = services_of(request).settings
    response.set_cookie(
        COOKIE_NAME,
        sign_binding(settings, binding),
        max_age=settings.google_oauth_state_ttl_seconds,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",  # sent on the top-level redirect back from Google
        secure=request.url.scheme == "https",
    )


def clear_binding_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH)


async def connect_redirect(
    request: Request, session: AsyncSession, account: Account, *, return_to: str
) -> RedirectResponse:
    """For the admin panel's Connect/Reconnect button: start the flow for ``account`` and send
    the browser to Google; the callback later sends it to ``return_to`` (a path on this site)
    with ``?google=connected``."""
    binding = secrets.token_urlsafe(32)
    url = await start_connect(
        session,
        account,
        binding=binding,
        return_to=return_to,
        gateway=services_of(request).google,
    )
    response = RedirectResponse(url, status_code=303)
    set_binding_cookie(request, response, binding)
    return response


def prefers_html(accept: str) -> bool:
    """Whether an ``Accept`` header ranks ``text/html`` above JSON: a browser's navigation
    (``text/html,…,*/*;q=0.8``) does; ``application/json``, ``*/*`` or no header do not."""
    ranks: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        ranks[media] = max(quality, ranks.get(media, 0.0))
    html = ranks.get("text/html", 0.0)
    return html > 0 and html > max(ranks.get(media, 0.0) for media in JSON_TYPES)


def failure_response(request: Request, failure: CalbridgeError, *, back: str | None) -> Response:
    """The answer to a failed callback: for a browser, an HTML page linking to ``back`` (the
    page the flow was started from, when the state told us) or else to the panel; for anyone
    else, problem+json."""
    response: Response
    if prefers_html(request.headers.get("accept", "")):
        page = FAILURE_PAGE.render(
            title="Google account not connected",
            message=failure.detail,
            home=PANEL_HOME,
            back=back or PANEL_HOME,
            back_label="Back to the account" if back else "Back to the admin panel",
        )
        response = HTMLResponse(page, status_code=failure.status_code)
    else:
        response = problem_response(failure.problem(), failure.headers)
    response.headers["Vary"] = "Accept"
    return response
