"""The one function that hides passwords in a ledger URL, or in any text that holds URLs.

Every output (errors, warnings, ``ledger copy``, ``verify --json``, reports, the dashboard,
recorded commands) goes through :func:`mask_url`. URLs are parsed with
:func:`urllib.parse.urlsplit`, not matched by a pattern:

- the password of the user information becomes ``***`` (``postgresql://me:***@db/x``),
  also when it holds ``@`` (the host follows the last ``@``) or an unencoded ``/``;
- query parameters named like secrets become ``***`` (``?password=***``, ``?token=***``);
- libpq's ``key=value`` connection strings: ``password=***``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MASK = "***"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
_SECRET_PARAM = re.compile(
    r"(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|"
    r"auth|authorization|credentials?|signature|sig|key)$",
    re.IGNORECASE,
)
_CONNINFO_PASSWORD = re.compile(r"(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'\"]+)")


def secret_param(name: str) -> bool:
    return bool(_SECRET_PARAM.search(unquote(name).strip().replace("-", "_")))


def _mask_credentials(url: str) -> str:
    scheme, _, rest = url.partition("://")
    end = len(rest)
    for sep in "/?#":
        i = rest.find(sep)
        if i != -1:
            end = min(end, i)
    if "@" in rest[:end]:
        userinfo = urlsplit(url).netloc.rpartition("@")[0]
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            return f"{scheme}://{user}:{MASK}@{rest[len(userinfo) + 1 :]}"
        return url
    # a password holding an unencoded "/" ends the authority early for any parser: the
    # credentials then run to the first "@" after it (a plain ``host:port/path`` is left)
    colon = rest.find(":", 0, end)
    at = rest.find("@", end)
    if colon != -1 and at != -1 and not rest[colon + 1 : end].isdigit():
        return f"{scheme}://{rest[:colon]}:{MASK}@{rest[at + 1 :]}"
    return url


def _mask_query(url: str) -> str:
    head, sep, query = url.partition("?")
    if not sep:
        return url
    query, hash_sep, fragment = query.partition("#")
    parts = []
    for piece in query.split("&"):
        name, eq, value = piece.partition("=")
        parts.append(f"{name}={MASK}" if eq and value and secret_param(name) else piece)
    return head + "?" + "&".join(parts) + hash_sep + fragment


def mask_url(text: str) -> str:
    """``text`` (a ledger location, an error message, a command argument) with every
    password and secret query parameter of every URL in it, and any libpq
    ``password=...``, replaced by ``***``."""
    masked = _URL.sub(lambda m: _mask_query(_mask_credentials(m.group(0))), text)
    return _CONNINFO_PASSWORD.sub(lambda m: m.group(1) + MASK, masked)
