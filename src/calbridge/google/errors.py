"""What can go wrong when talking to Google, in one place.

Calls to Google raise only these (never httpx's own exceptions)::

    GoogleError
    ├── GoogleRetryable          worth trying again later: 403 rateLimitExceeded /
    │                            userRateLimitExceeded, 429, 5xx, timeouts, connection errors,
    │                            a response cut off mid-way
    ├── GooglePermanent          any other 4xx: retrying the same call will not help
    │   │                        (``status`` and Google's ``reason`` are kept)
    │   ├── GoogleNotFound       404, or 410 ``deleted`` (the event is gone)
    │   └── GoogleOAuthRejected  the token endpoint refused an authorization code
    │                            (wrong PKCE verifier, expired or reused code, bad client)
    └── GoogleGrantRevoked       ``invalid_grant`` on refresh: the user revoked access or the
                                 refresh token died. The connection is marked ``broken`` and
                                 stays so until the account is reconnected.

The account calendar API turns ``GoogleRetryable`` (after its in-request retries) into 503
``google_unavailable`` and ``GoogleGrantRevoked`` into 404 "not connected" (the connection is no
longer live). The domain errors below carry their HTTP meaning for the API.
"""

from __future__ import annotations

from calbridge.errors import CalbridgeError, Forbidden, NotFound, ServiceUnavailable


class GoogleError(Exception):
    def __init__(self, message: str, *, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason


class GoogleRetryable(GoogleError):
    pass


class GooglePermanent(GoogleError):
    pass


class GoogleNotFound(GooglePermanent):
    pass


class GoogleOAuthRejected(GooglePermanent):
    pass


class GoogleGrantRevoked(GoogleError):
    pass


# Domain errors (HTTP meaning) raised by the services and endpoints.


class GoogleUnavailable(ServiceUnavailable):
    code = "google_unavailable"

    def __init__(self, detail: str = "Google Calendar cannot be reached; try again later.") -> None:
        super().__init__(detail)


class GoogleNotConnected(NotFound):
    code = "google_not_connected"

    def __init__(self) -> None:
        CalbridgeError.__init__(self, "Google Calendar is not connected for this account.")


class GooglePermissionDisabled(Forbidden):
    code = "google_permission_disabled"

    def __init__(self, kind: str) -> None:
        super().__init__(f"Google Calendar {kind} permission is disabled for this account")


class OAuthFlowError(CalbridgeError):
    """The OAuth callback cannot finish: missing, unknown, expired, reused or foreign state, or
    Google refused the code. Nothing is stored."""

    status_code = 400
    code = "google_oauth_failed"
    title = "Bad Request"


class GoogleRejected(CalbridgeError):
    """Google refused a call for a reason retrying will not fix (e.g. missing permission)."""

    status_code = 502
    code = "google_error"
    title = "Bad Gateway"
