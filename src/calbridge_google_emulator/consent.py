"""The authorization endpoint (accounts.google.com/o/oauth2/v2/auth) and its consent page.

GET shows a small page: an email field (prefilled with the test user, or `login_hint`)
and Allow / Cancel buttons that POST back here. POST with `decision=allow` redirects to
`redirect_uri` with `code`, `state` and `scope`; `decision=deny` redirects with
`error=access_denied`. `auto_approve=true` on the GET (or `auto_approve` in the config)
skips the page and redirects straight away, for tests and headless clients.

Problems with the client itself (unknown `client_id`, unregistered `redirect_uri`, missing
parameters) show an error page and never redirect, as Google does.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from calbridge_google_emulator import grants
from calbridge_google_emulator.state import EmulatorState
from calbridge_google_emulator.web import parse_bool, state_of

FORWARDED = ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
             "code_challenge_method", "access_type", "prompt", "login_hint")  # fmt: skip


class ConsentProblem(Exception):
    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def _error_page(problem: ConsentProblem) -> Response:
    html = (
        "<!doctype html><title>Error</title><h1>Access blocked</h1>"
        f"<p>Error {problem.status}: {escape(problem.error)}</p><p>{escape(problem.detail)}</p>"
    )
    return HTMLResponse(html, status_code=400)


def _validate(state: EmulatorState, params: dict[str, str]) -> None:
    if params.get("client_id") != state.config.client_id:
        raise ConsentProblem(401, "invalid_client", "The OAuth client was not found.")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise ConsentProblem(400, "invalid_request", "Missing required parameter: redirect_uri")
    allowed = state.config.redirect_uris
    if allowed and redirect_uri not in allowed:
        raise ConsentProblem(400, "redirect_uri_mismatch", f"redirect_uri={redirect_uri}")
    for name in ("response_type", "scope"):
        if not params.get(name):
            raise ConsentProblem(400, "invalid_request", f"Missing required parameter: {name}")
    if params.get("code_challenge") and params.get("code_challenge_method", "plain") not in (
        "S256",
        "plain",
    ):
        raise ConsentProblem(400, "invalid_request", "Invalid code_challenge_method")


def _redirect(redirect_uri: str, query: dict[str, str]) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(query), status_code=302)


def _approve(state: EmulatorState, params: dict[str, str], email: str) -> Response:
    if params["response_type"] != "code":
        return _redirect(
            params["redirect_uri"],
            _with_state(params, {"error": "unsupported_response_type"}),
        )
    scopes = tuple(dict.fromkeys(params["scope"].split()))
    state.ensure_user(email)
    challenge = params.get("code_challenge") or None
    code = grants.issue_code(
        state,
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        email=email,
        scopes=scopes,
        offline=params.get("access_type") == "offline",
        force_consent="consent" in params.get("prompt", "").split(),
        code_challenge=challenge,
        code_challenge_method=params.get("code_challenge_method", "plain"),
    )
    query = {"code": code, "scope": " ".join(scopes), "authuser": "0", "prompt": "consent"}
    return _redirect(params["redirect_uri"], _with_state(params, query))


def _with_state(params: dict[str, str], query: dict[str, str]) -> dict[str, str]:
    if "state" in params:
        return {"state": params["state"], **query}
    return query


async def authorize(request: Request) -> Response:
    state = state_of(request)
    params = {k: v for k, v in request.query_params.items() if k in FORWARDED}
    try:
        _validate(state, params)
        auto = parse_bool(request.query_params.get("auto_approve"), "auto_approve", False)
    except ConsentProblem as problem:
        return _error_page(problem)
    email = params.get("login_hint") or state.config.user_email
    if auto or state.config.auto_approve:
        async with state.lock:
            return _approve(state, params, email)
    return HTMLResponse(_consent_page(params, email))


async def decide(request: Request) -> Response:
    state = state_of(request)
    async with request.form() as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    params = {k: v for k, v in fields.items() if k in FORWARDED}
    try:
        _validate(state, params)
    except ConsentProblem as problem:
        return _error_page(problem)
    if fields.get("decision") != "allow":
        return _redirect(params["redirect_uri"], _with_state(params, {"error": "access_denied"}))
    async with state.lock:
        return _approve(state, params, fields.get("email") or state.config.user_email)


def _consent_page(params: dict[str, str], email: str) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
    )
    scopes = "".join(f"<li>{escape(s)}</li>" for s in params["scope"].split())
    return (
        "<!doctype html><html><head><title>Sign in - Google Accounts (emulator)</title></head>"
        f"<body><h1>{escape(params['client_id'])} wants to access your Google Account</h1>"
        f'<ul>{scopes}</ul><form method="post">{hidden}'
        f'<label>Email <input name="email" type="email" value="{escape(email)}"></label>'
        '<button name="decision" value="allow" type="submit">Allow</button>'
        '<button name="decision" value="deny" type="submit">Cancel</button>'
        "</form></body></html>"
    )


routes = [
    Route("/o/oauth2/v2/auth", authorize, methods=["GET"]),
    Route("/o/oauth2/v2/auth", decide, methods=["POST"]),
]
