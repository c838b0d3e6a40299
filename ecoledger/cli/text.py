"""User-supplied text on its way in (names, commands) and out (the terminal).

- In: bytes that are not UTF-8 (Python keeps them as lone surrogates in ``sys.argv``) are
  recorded with backslash escapes (``\\xff``), so that they can be stored at all; NUL is
  refused in names, and names and projects are bounded to ``MAX_NAME_CHARS``.
- Out: control characters (C0, DEL, C1), line and paragraph separators and bidirectional
  overrides are printed as escapes (``\\x1b``, ``\\n``, ``\\u202e``), so that a run name
  can neither drive the terminal (retitle it, clear it) nor forge rows of a listing.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

MAX_NAME_CHARS = 200

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def recordable(text: str) -> str:
    """``text`` with undecodable bytes (lone surrogates from ``sys.argv``) as ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def term(text: Any) -> str:
    """One value as safe terminal text: every control character escaped, newlines included."""
    return _UNSAFE.sub(_escape, str(text))


def term_lines(text: str) -> str:
    """Several lines as safe terminal text: control characters escaped, newlines kept."""
    return "\n".join(term(line) for line in text.split("\n"))


def term_all(value: Any) -> Any:
    """Every string inside ``value`` (dicts, lists, tuples) passed through :func:`term`."""
    if isinstance(value, str):
        return term(value)
    if isinstance(value, dict):
        return {k: term_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(term_all(v) for v in value)
    return value


def check_name(field: str, text: str) -> str:
    """A recordable name: no NUL, at most ``MAX_NAME_CHARS`` (raises ValueError naming ``field``)."""
    text = recordable(text)
    if "\x00" in text:
        raise ValueError(f"{field} must not contain a NUL character")
    if len(text) > MAX_NAME_CHARS:
        raise ValueError(f"{field} is {len(text)} characters long; at most {MAX_NAME_CHARS}")
    return text


def name_value(field: str) -> Callable[[str], str]:
    """An argparse type for a name, project or tag (see :func:`check_name`)."""

    def parse(text: str) -> str:
        try:
            return check_name(field, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse
