"""Account emails (password reset): one function, ``queue_email``, between this area and the outbox.

The transactional outbox (``facilitator/invites``) is the way email leaves the app. ``queue_email``
writes the message there, in the caller's transaction: it is sent by the outbox worker
(``flask --app facilitator outbox send``), with its retries and backoff, only if that transaction
commits, so a reset link is never mailed for a token that was not saved.
"""

from __future__ import annotations

from facilitator.invites.services import queue_plain_email


def queue_email(to_email: str, to_name: str, subject: str, text: str, html: str) -> None:
    """Queue a plain email (text and HTML) in the current transaction; nothing is sent here."""
    queue_plain_email(to_email=to_email, to_name=to_name, subject=subject, text=text, html=html)
