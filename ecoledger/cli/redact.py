"""Redact secrets from a command line before it is recorded.

Masked (``***``), in each argument and inside a shell string (``sh -c "..."``):

- values of options and ``KEY=value`` arguments whose names look like tokens, keys or
  passwords (``--token X``, ``--password=X``, ``--pw X``, ``--passwd X``, ``--secret*``,
  ``HF_TOKEN=X``);
- credentials and secret query parameters of URLs, parsed by the one masking function of
  the ledger (:func:`accounting.store.masking.mask_url`): passwords holding ``/`` or ``@``
  included;
- HTTP authorization headers, and a lone ``Bearer x``;
- JSON-like ``"api_key": "..."`` pairs;
- bare tokens with a well-known prefix: ``sk-``, ``sk-proj-``, ``ghp_``, ``github_pat_``,
  ``hf_``, ``AKIA``, ``xoxb-``, ``glpat-`` (the prefix is kept, to say what it was).

``-p`` is left as it is: it is as often a port (``ssh -p 22``, ``psql -p 5432``) as a
password (``mysql -pX``), and masking ports would hide what the run did. Pass a password
as ``--password`` or in the environment (never recorded) instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from accounting.store.masking import MASK, mask_url

SECRET_NAME = re.compile(
    r"(pass(word|wd|phrase)?|pwd|(^|_)pw|secret|token|api[-_]?key|access[-_]?key|"
    r"private[-_]?key|auth|authorization|credentials?|session[-_]?key|bearer|signature|"
    r"cookie|key)$|^secret",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)\s*:\s*(?P<value>.+)$")
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?P<prefix>sk-proj-|sk-|ghp_|github_pat_|hf_|xoxb-|glpat-)"
    r"[A-Za-z0-9_\-]{8,}|(?<![A-Za-z0-9])(?P<aws>AKIA)[A-Z0-9]{12,}"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)(?!\*\*\*)[^\s\"']+")
_JSON_PAIR = re.compile(
    r"(?P<q>[\"'])(?P<name>[^\"'\s]{1,64})(?P=q)(?P<sep>\s*:\s*)"
    r"(?P<vq>[\"'])(?P<value>(?:\\.|(?!(?P=vq)).)*)(?P=vq)"
)
_INNER_OPTION = re.compile(
    r"(?P<opt>(?<![\w-])--?[A-Za-z][\w-]*)(?P<sep>=|\s+)(?P<value>[^\s\"']+)"
)
_INNER_ASSIGN = re.compile(r"(?<![\w-])(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>[^\s\"'&;]+)")


def _secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name.strip().lstrip("-").replace("-", "_")))


def _mask_text(text: str) -> str:
    """The rules that apply anywhere inside a string (an argument or a shell command)."""
    text = mask_url(text)
    text = _TOKEN.sub(lambda m: (m["prefix"] or m["aws"]) + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _JSON_PAIR.sub(
        lambda m: (
            f"{m['q']}{m['name']}{m['q']}{m['sep']}{m['vq']}{MASK}{m['vq']}"
            if _secret_name(m["name"])
            else m.group(0)
        ),
        text,
    )
    if any(c.isspace() for c in text):  # a shell string: its options and assignments too
        text = _INNER_OPTION.sub(
            lambda m: (
                f"{m['opt']}{m['sep']}{MASK}"
                if _secret_name(m["opt"]) and m["value"] != MASK
                else m.group(0)
            ),
            text,
        )
    text = _INNER_ASSIGN.sub(
        lambda m: f"{m['name']}={MASK}" if _secret_name(m["name"]) else m.group(0), text
    )
    return text


def redact_arg(arg: str) -> str:
    """One argument with any secret it holds masked (see the module's rules)."""
    header = _HEADER.match(arg)
    if header and "://" not in arg and _secret_name(header["name"]):
        return f"{header['name']}: {MASK}"
    if "=" in arg and "://" not in arg.partition("=")[0]:
        name, _, value = arg.partition("=")
        if _secret_name(name) and value and not any(c.isspace() for c in name):
            return f"{name}={MASK}"
    return _mask_text(arg)


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
