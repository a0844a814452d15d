"""A small IMAP client over ``imaplib`` for reading one mailbox folder by UID.

It does what the calendar-replies worker needs and no more: open a folder and learn its
UIDVALIDITY, list the UIDs from a given one on, fetch a message's size and its raw bytes, and
finish a message (flag it ``\\Seen``, and move it to a done folder, created when missing). MOVE
(RFC 6851) is used when the server offers it; otherwise COPY, ``\\Deleted`` and UID EXPUNGE
(RFC 4315) or, without UIDPLUS, nothing is expunged (the message stays flagged ``\\Deleted``
rather than risk expunging other clients' deletions). Every socket operation has a timeout.
Folder names are ASCII; a "/" in a name is read as the hierarchy separator and written with the
server's own.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from dataclasses import dataclass
from types import TracebackType

__all__ = ["ImapError", "ImapMailbox", "ImapSettings"]

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_LIST_SEPARATOR = re.compile(rb'^\([^)]*\) (?:"((?:[^"\\]|\\.)*)"|NIL) ')


class ImapError(Exception):
    """The server could not be reached, refused the login, or refused a command."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int = 993
    ssl: bool = True
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    done_folder: str = ""  # empty: finished messages stay where they are
    timeout: float = 30.0

    @property
    def mailbox_key(self) -> str:
        """Names the folder for the claim ledger: ``user@host:port/folder``."""
        return f"{self.username}@{self.host}:{self.port}/{self.folder}"[:300]


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(result: tuple[str, list[object]], what: str) -> list[object]:
    status, data = result
    if status != "OK":
        raise ImapError(f"IMAP {what} refused: {data!r}"[:300])
    return data


class ImapMailbox:
    """One connection to one folder; use as a context manager (it logs out at the end)."""

    def __init__(self, settings: ImapSettings, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self._ssl_context = ssl_context
        self._conn: imaplib.IMAP4 | None = None
        self._separator: str | None = None
        self._done_folder_ready = False
        self.uidvalidity = 0

    # Connecting ------------------------------------------------------------------------------

    def __enter__(self) -> ImapMailbox:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> int:
        """Connect, log in, select the folder; returns its UIDVALIDITY."""
        s = self.settings
        try:
            if s.ssl:
                context = self._ssl_context or ssl.create_default_context()
                self._conn = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=context, timeout=s.timeout)
            else:
                self._conn = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
            _check(self._conn.login(s.username, s.password), "LOGIN")
            self._refresh_capabilities()
            _check(self._conn.select(_quote(s.folder)), "SELECT")
            self.uidvalidity = self._read_uidvalidity()
        except (OSError, imaplib.IMAP4.error) as exc:
            self.close()
            raise ImapError(f"IMAP {s.host}:{s.port}: {exc}"[:300]) from exc
        return self.uidvalidity

    def _refresh_capabilities(self) -> None:
        """Servers offer more after login (MOVE, UIDPLUS); imaplib only kept the greeting's list."""
        _, data = self.conn.capability()
        if data and isinstance(data[-1], bytes):
            self.conn.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())

    def _read_uidvalidity(self) -> int:
        _, data = self.conn.response("UIDVALIDITY")
        if data and data[0]:
            return int(data[0])
        _, status = self.conn.status(_quote(self.settings.folder), "(UIDVALIDITY)")
        match = _UIDVALIDITY.search(status[0] if status and isinstance(status[0], bytes) else b"")
        if match is None:
            raise ImapError("IMAP server gave no UIDVALIDITY")
        return int(match.group(1))

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()

    @property
    def conn(self) -> imaplib.IMAP4:
        if self._conn is None:
            raise ImapError("IMAP mailbox is not open")
        return self._conn

    def _uid(self, command: str, *args: str) -> list[object]:
        try:
            return _check(self.conn.uid(command, *args), f"UID {command}")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"IMAP UID {command}: {exc}"[:300]) from exc

    # Reading ---------------------------------------------------------------------------------

    def uids_from(self, first: int) -> list[int]:
        """UIDs of the folder's messages from ``first`` on, ascending."""
        data = self._uid("SEARCH", f"UID {max(first, 1)}:*")
        found = {int(n) for n in (data[0] or b"").split()} if data and isinstance(data[0], bytes) else set()
        # "n:*" always includes the newest message, even when its UID is below n (RFC 3501).
        return sorted(uid for uid in found if uid >= first)

    def size(self, uid: int) -> int | None:
        """The message's size in bytes; None when it is gone."""
        for item in self._uid("FETCH", str(uid), "(RFC822.SIZE)"):
            raw = item[0] if isinstance(item, tuple) else item
            match = _SIZE.search(raw) if isinstance(raw, bytes) else None
            if match:
                return int(match.group(1))
        return None

    def fetch(self, uid: int) -> bytes | None:
        """The raw message (BODY.PEEK, so reading it sets no flag); None when it is gone."""
        for item in self._uid("FETCH", str(uid), "(BODY.PEEK[])"):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    # Finishing -------------------------------------------------------------------------------

    def finish(self, uid: int) -> None:
        """Flag the message ``\\Seen`` and, with a done folder, move it there."""
        self._uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")
        if not self.settings.done_folder:
            return
        target = self._server_name(self.settings.done_folder)
        if not self._done_folder_ready:
            self._ensure_folder(target)
            self._done_folder_ready = True
        if "MOVE" in self.conn.capabilities:
            self._uid("MOVE", str(uid), _quote(target))
            return
        self._uid("COPY", str(uid), _quote(target))
        self._uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
        if "UIDPLUS" in self.conn.capabilities:
            self._uid("EXPUNGE", str(uid))

    def _server_name(self, name: str) -> str:
        if self._separator is None:
            _, listing = self.conn.list('""', '""')
            first = listing[0] if listing and isinstance(listing[0], bytes) else b""
            match = _LIST_SEPARATOR.match(first)
            quoted = match.group(1) if match else None
            self._separator = quoted.decode("ascii").replace("\\\\", "\\") if quoted else "/"
        return name.replace("/", self._separator)

    def _ensure_folder(self, name: str) -> None:
        _, listing = self.conn.list('""', _quote(name))
        if listing and listing[0]:
            return
        status, data = self.conn.create(_quote(name))
        # Another worker may have created it a moment ago: [ALREADYEXISTS] (RFC 5530) is fine.
        if status != "OK" and b"ALREADYEXISTS" not in b" ".join(d for d in data if isinstance(d, bytes)):
            raise ImapError(f"IMAP CREATE {name!r} refused: {data!r}"[:300])
