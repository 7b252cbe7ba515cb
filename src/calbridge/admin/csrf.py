"""CSRF protection: every POST carries the session's token in the ``csrf_token`` form field.

The token lives in the signed session cookie (a synchronizer token bound to the session), so a
page of another site can neither read it nor forge a matching pair. A missing or wrong token is
a 403 before any handler runs, so nothing changes.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from calbridge.admin.session import read_session


class CsrfRejected(Exception):
    """The POST's CSRF token is missing or does not match the session's."""


async def checked_form(request: Request) -> FormData:
    """The request's form, once its CSRF token has been checked."""
    form = await request.form()
    session = read_session(request)
    sent = form.get("csrf_token")
    if (
        session is None
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent.encode(), session.csrf.encode())
    ):
        raise CsrfRejected()
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]
