"""Redact secrets from a command line before it is recorded.

Values of options and ``KEY=value`` arguments whose names look like tokens, keys or
passwords become ``***``; so do credentials inside URLs. Environment variables are never
recorded at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SECRET_NAME = re.compile(
    r"(pass(word|wd)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|auth|"
    r"credential|session[-_]?key|bearer|signature|key)$",
    re.IGNORECASE,
)
MASK = "***"
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@"
)


def _secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name.lstrip("-").replace("-", "_")))


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
        if "=" in arg:
            name, _, value = arg.partition("=")
            if _secret_name(name) and value:
                out.append(f"{name}={MASK}")
                continue
        out.append(_URL_CREDENTIALS.sub(r"\g<scheme>\g<user>:" + MASK + "@", arg))
    return tuple(out)
