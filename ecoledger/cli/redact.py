"""Redact secrets from a command line before it is recorded.

Values of options and ``KEY=value`` arguments whose names look like tokens, keys or
passwords become ``***``; so do credentials inside URLs (``scheme://user:***@host``), URL
query parameters with such names (``?token=***``) and HTTP authorization headers
(``Authorization: Bearer ***``, ``X-Api-Key: ***``). Environment variables are never
recorded at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SECRET_NAME = re.compile(
    r"(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|auth|"
    r"authorization|credentials?|session[-_]?key|bearer|signature|cookie|key)$",
    re.IGNORECASE,
)
MASK = "***"
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@"
)
_QUERY_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&;#\s]+)=(?P<value>[^&;#\s]*)")
_HEADER = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)\s*:\s*(?P<value>.+)$")


def _secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name.strip().lstrip("-").replace("-", "_")))


def _redact_query(arg: str) -> str:
    def mask(match: re.Match[str]) -> str:
        if _secret_name(match["name"]) and match["value"]:
            return f"{match['lead']}{match['name']}={MASK}"
        return match.group(0)

    return _QUERY_PARAM.sub(mask, arg) if "://" in arg or arg.startswith("?") else arg


def redact_arg(arg: str) -> str:
    """One argument with any secret it holds masked (see the module's rules)."""
    header = _HEADER.match(arg)
    if header and "://" not in arg and _secret_name(header["name"]):
        return f"{header['name']}: {MASK}"
    if "=" in arg and "://" not in arg.partition("=")[0]:
        name, _, value = arg.partition("=")
        if _secret_name(name) and value:
            return f"{name}={MASK}"
    out = _URL_CREDENTIALS.sub(r"\g<scheme>\g<user>:" + MASK + "@", arg)
    return _redact_query(out)


def redact_command(argv: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    mask_next = False
    for arg in argv:
        if mask_next:
            out.append(MASK)
            mask_next = False
            continue
        if arg.startswith("-") and "=" not in arg and _secret_name(arg):
            out.append(arg)
            mask_next = True
            continue
        out.append(redact_arg(arg))
    return tuple(out)
