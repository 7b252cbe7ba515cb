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


# One small stylesheet, inline: the emulator serves no static files.
STYLE = (
    "<style>*{box-sizing:border-box}"
    "body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;"
    "background:#f0f4f9;color:#1f1f1f;font-family:system-ui,-apple-system,'Segoe UI',Roboto,"
    "Arial,sans-serif;line-height:1.45}"
    ".box{background:#fff;border-radius:24px;padding:2.2rem 2.5rem;max-width:460px;width:92%;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    ".mark{font-weight:700;color:#1a73e8;letter-spacing:.02em}"
    "h1{font-size:1.4rem;font-weight:500;margin:.8rem 0 1rem}"
    "ul{padding-left:1.2rem;color:#444;font-size:.9rem;word-break:break-all}"
    "label{display:block;font-size:.9rem;margin:1rem 0 .3rem}"
    "input[type=email]{width:100%;padding:.6rem .7rem;border:1px solid #c4c7c5;"
    "border-radius:6px;font-size:1rem}"
    ".actions{display:flex;justify-content:flex-end;gap:.6rem;margin-top:1.5rem}"
    "button{border:0;border-radius:20px;padding:.55rem 1.4rem;font-size:.95rem;cursor:pointer}"
    "button[value=allow]{background:#1a73e8;color:#fff}"
    "button[value=deny]{background:none;color:#1a73e8}"
    ".note{font-size:.8rem;color:#5f6368;margin-top:1.2rem}"
    "</style>"
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{STYLE}</head>"
        f'<body><main class="box"><div class="mark">Google (emulator)</div>{body}</main>'
        "</body></html>"
    )


def _error_page(problem: ConsentProblem) -> Response:
    body = (
        "<h1>Access blocked</h1>"
        f"<p>Error {problem.status}: {escape(problem.error)}</p><p>{escape(problem.detail)}</p>"
    )
    return HTMLResponse(_page("Error", body), status_code=400)


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
    body = (
        f"<h1>{escape(params['client_id'])} wants to access your Google Account</h1>"
        f'<p>It asks for:</p><ul>{scopes}</ul><form method="post">{hidden}'
        '<label for="email">Email</label>'
        f'<input id="email" name="email" type="email" value="{escape(email)}">'
        '<div class="actions"><button name="decision" value="allow" type="submit">Allow</button>'
        '<button name="decision" value="deny" type="submit">Cancel</button></div>'
        '</form><p class="note">The calbridge Google emulator: no real account is used.</p>'
    )
    return _page("Sign in - Google Accounts (emulator)", body)


routes = [
    Route("/o/oauth2/v2/auth", authorize, methods=["GET"]),
    Route("/o/oauth2/v2/auth", decide, methods=["POST"]),
]
