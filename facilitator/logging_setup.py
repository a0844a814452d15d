"""Keep link tokens out of every log line.

A contact's join link (``/j/<token>``), personal page (``/h/<token>``) and calendar feed
(``/feeds/<token>.ics``) carry a bearer secret in the URL, and access logs (werkzeug's in
development, gunicorn's in production) write every URL. Anyone who can read the logs could use
the links, so each of these is masked as ``[redacted]`` before a handler sees it:

- the path segment after ``/j/``, ``/h/`` and ``/feeds/`` (whatever its length, so a probe with
  half a real token is masked too);
- any other path segment that looks like a token (32 or more URL-safe characters), which covers
  links added later (a password reset, for example) without a change here;
- the value of a query parameter whose name ends in ``token`` (``token=``, ``access_token=``) or
  is ``code`` (an OAuth authorization code).

Two hooks do it. The primary one wraps the process's log record factory, so every record, from
any logger (our ``facilitator.*`` modules, werkzeug, gunicorn, libraries), is masked when it is
created. As a second line, the same filter sits on the access-log loggers, in case something else
replaces the record factory later.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask

REDACTED = "[redacted]"
# Characters that end a path segment in a log line (a URL-encoded "/" starts with "%").
_STOP = r"/?#\s\"'<>%&;,"
_SLASH = r"(?:/|%2[Ff])"
# The segment after a token route's prefix, up to the end of the segment or ".ics".
_TOKEN_ROUTE = re.compile(
    rf"({_SLASH}(?:j|h|a|q|feeds){_SLASH})(?!\[redacted\])[^{_STOP}]+?(?=\.ics\b|[{_STOP}]|$)")
# Any other segment long enough to be a token (ours are 43 characters).
_LONG_SEGMENT = re.compile(rf"(?:(?<=/)|(?<=%2[Ff]))[A-Za-z0-9_-]{{32,}}(?=\.ics\b|[{_STOP}]|$)")
_TOKEN_QUERY = re.compile(r"((?:^|[?&;\s])(?:[\w-]*token|code)=)[^&;#\s\"'<>]+", re.IGNORECASE)
_QUICK = re.compile(r"(?:/|%2F)(?:j|h|a|q|feeds)(?:/|%2F)|token|code=|[A-Za-z0-9_-]{32}", re.IGNORECASE)
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "facilitator")


def redact(text: str) -> str:
    """``text`` with every URL token in it replaced by ``[redacted]``."""
    if not _QUICK.search(text):
        return text
    text = _TOKEN_ROUTE.sub(rf"\1{REDACTED}", text)
    text = _LONG_SEGMENT.sub(REDACTED, text)
    return _TOKEN_QUERY.sub(rf"\1{REDACTED}", text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace"))
    return value


def redact_record(record: logging.LogRecord) -> None:
    """Mask tokens in a record's message and arguments, in place."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    args = record.args
    if isinstance(args, dict):
        # gunicorn passes its access-log "atoms" as a dict subclass that answers "-" for missing
        # keys; changing it in place keeps that behaviour for the format string.
        for key, value in list(args.items()):
            args[key] = _redact_value(value)
    elif isinstance(args, tuple) and args:
        record.args = tuple(_redact_value(v) for v in args)


class RedactTokensFilter(logging.Filter):
    """A filter that never drops a record, only masks the tokens in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_FILTER = RedactTokensFilter()


def _install_record_factory() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_tokens", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    factory.redacts_tokens = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def install(logger_names: tuple[str, ...] = ACCESS_LOGGERS) -> None:
    """Mask tokens in every record of this process; safe to call more than once."""
    _install_record_factory()
    for name in logger_names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def init_app(app: Flask) -> None:
    install()
    if app.logger.name not in ACCESS_LOGGERS:
        install((app.logger.name,))
