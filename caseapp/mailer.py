"""Sending one e-mail over SMTP with smtplib, as the ``SMTP_*`` settings say.

Port 465 is implicit TLS (SMTPS); any other port speaks plain SMTP, upgraded with STARTTLS
when ``SMTP_STARTTLS`` is on (a server that does not offer it is a failure, never a silent
fallback to plain text). ``SMTP_USER`` set means log in. Every failure, from a refused
connection to a 4xx/5xx reply, is raised as ``MailError`` with a short reason that names no
address: it is stored and printed.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

SMTPS_PORT = 465
MAX_REASON = 200
_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


class MailError(Exception):
    """The message was not accepted by the SMTP server; ``reason`` is safe to store."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    user: str
    password: str
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        return cls(host=str(config["SMTP_HOST"]), port=int(config["SMTP_PORT"]),
                   starttls=bool(config["SMTP_STARTTLS"]), user=str(config["SMTP_USER"] or ""),
                   password=str(config["SMTP_PASSWORD"] or ""),
                   sender=str(config["SMTP_FROM"]),
                   timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 30))

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2].strip("<> ") or "caseapp"


def send(settings: SmtpSettings, message: EmailMessage, recipient: str) -> None:
    """Hand ``message`` to the SMTP server for ``recipient``; returns once the server has
    accepted it (its reply to DATA), raises ``MailError`` otherwise."""
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"cannot connect to the SMTP server {settings.host}:{settings.port}: "
                        f"{_describe(error)}") from None
    try:
        if settings.starttls and settings.port != SMTPS_PORT:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password)
        smtp.send_message(message, from_addr=settings.sender, to_addrs=[recipient])
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(_describe(error)) from None
    finally:
        _close(smtp)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.port == SMTPS_PORT:
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT, ignoring how it goes: the message was accepted or refused before this, and a
    failed goodbye must not turn an accepted message into a retried one."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _describe(error: BaseException) -> str:
    """What went wrong in a line, without addresses (a server's reply may quote them)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        text = f"recipient refused ({', '.join(map(str, codes))})"
    elif isinstance(error, smtplib.SMTPAuthenticationError):
        text = f"login refused ({error.smtp_code})"
    elif isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        reply_text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        text = f"SMTP {error.smtp_code} {' '.join(reply_text.split())}"
    elif isinstance(error, smtplib.SMTPNotSupportedError):
        text = f"not supported by the server: {error}"
    else:
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    text = _ADDRESS.sub("<address>", text)
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"
