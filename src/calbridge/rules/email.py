"""Sending a rule's email through the SMTP server in settings (stdlib smtplib, in a thread).

The message is rendered once, when the run is made, and stored; each attempt sends that same
message with the same Message-ID, so a duplicate after a crash can be recognised as one.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from calbridge.settings import Settings


def build(request: dict[str, Any], *, sender: str, delivery_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(request["to"])
    message["Subject"] = request["subject"].replace("\r", " ").replace("\n", " ")
    message["Message-ID"] = f"<{delivery_id}@calbridge>"
    message.set_content(request["body"])
    return message


def _send_sync(message: EmailMessage, settings: Settings) -> None:
    context = ssl.create_default_context()
    timeout = settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_tls == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)


async def send(request: dict[str, Any], *, delivery_id: str, settings: Settings) -> None:
    """Raises ``OSError`` / ``smtplib.SMTPException`` when the message was not accepted."""
    message = build(request, sender=settings.smtp_from, delivery_id=delivery_id)
    await asyncio.to_thread(_send_sync, message, settings)
