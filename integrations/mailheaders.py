"""Header values that are not plain ASCII, encoded (RFC 2047) and folded (RFC 5322) so they read back exactly.

Python 3.11's ``policy.SMTP`` folder mangles them: it drops the space between two encoded
words ("Dùn Èideann" reads back "DùnÈideann"), writes empty encoded words (``=?utf-8?q??=``)
and can split one in two. So a value with anything to encode is built here and stored as it is
(``set_raw``, with the policy's ``refold_source="none"``):

* ASCII words stay as they are; each run of words that needs encoding (non-ASCII, something
  that looks like an encoded word, or, in a display name, a special such as ``,``) becomes
  encoded words with its inner spaces inside them (``_``), never between two of them, where
  a reader drops whitespace;
* an encoded word is at most 75 characters and never splits a character;
* lines are folded at the spaces between words, at most 78 characters where a word allows.
"""

from __future__ import annotations

import re
from email.headerregistry import Address

from integrations.addresses import wire_address

__all__ = ["MAX_LINE", "display_phrase", "encode_value", "mailbox_value"]

MAX_LINE = 78
MAX_WORD = 75
_PREFIX, _SUFFIX = "=?utf-8?q?", "?="
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_PHRASE_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_PHRASE_ESCAPES = re.compile(r'[\\"]')
_ADDRESS_BREAKERS = re.compile(r'[\s<>()\[\],;:"\\\x00-\x1f\x7f-\x9f\u2028\u2029]')


def _q(char: str) -> str:
    return "".join("_" if b == 0x20 else chr(b) if b in _Q_SAFE else f"={b:02X}" for b in char.encode())


def _encoded_words(text: str) -> list[str]:
    """``text`` as encoded words of at most 75 characters, each holding whole characters."""
    words, current = [], ""
    room = MAX_WORD - len(_PREFIX) - len(_SUFFIX)
    for char in text:
        piece = _q(char)
        if current and len(current) + len(piece) > room:
            words.append(_PREFIX + current + _SUFFIX)
            current = ""
        current += piece
    if current:
        words.append(_PREFIX + current + _SUFFIX)
    return words


def _needs_encoding(word: str, phrase: bool) -> bool:
    return not word.isascii() or "=?" in word or (phrase and bool(_PHRASE_SPECIALS.search(word)))


def _tokens(text: str, phrase: bool) -> list[str]:
    tokens: list[str] = []
    run: list[str] = []
    for word in text.split(" "):
        if word and _needs_encoding(word, phrase):
            run.append(word)
            continue
        if run:
            tokens += _encoded_words(" ".join(run))
            run = []
        tokens.append(word)
    if run:
        tokens += _encoded_words(" ".join(run))
    return tokens


def _fold(name: str, tokens: list[str]) -> str:
    lines = [""]
    used = len(name) + 2  # "Name: "
    for index, token in enumerate(tokens):
        if index and used + 1 + len(token) > MAX_LINE and lines[-1].strip():
            lines.append("")
            used = 0
        separator = " " if index else ""
        lines[-1] += separator + token
        used += len(separator) + len(token)
    return "\r\n".join(lines)


def encode_value(name: str, text: str, *, phrase: bool = False, utf8: bool = False) -> str:
    """``text`` (one line) as the value of header ``name``, encoded and folded as needed.

    ``phrase``: a display name, where specials must be quoted or encoded. ``utf8``: the message
    travels with SMTPUTF8, so UTF-8 is written as it is (a display name is then quoted).
    """
    if utf8 or (text.isascii() and "=?" not in text):
        return display_phrase(text) if phrase else text
    return _fold(name, _tokens(text, phrase))


def display_phrase(name: str) -> str:
    """A display name as an RFC 5322 phrase: quoted when it holds a special such as ``,``."""
    if _PHRASE_SPECIALS.search(name):
        return '"' + _PHRASE_ESCAPES.sub(r"\\\g<0>", name) + '"'
    return name


def _checked_address(address: str) -> str:
    """Refuse a malformed address; a non-ASCII local part is checked as its ASCII shape would be."""
    if not address.isascii() and _ADDRESS_BREAKERS.search(address):
        raise ValueError(f"invalid address: {address!r}")
    shape = address if address.isascii() else address.encode("ascii", "replace").decode().replace("?", "u")
    Address(addr_spec=shape)  # raises on a malformed address
    return address


def mailbox_value(name: str, display_name: str, address: str, *, utf8: bool = False) -> str:
    """``Name <local@domain>`` for header ``name``: the domain as punycode, the name quoted or encoded."""
    checked = _checked_address(wire_address(address))
    phrase = encode_value(name, display_name, phrase=True, utf8=utf8)
    return f"{phrase} <{checked}>" if phrase else checked
