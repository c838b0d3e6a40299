"""Library field names → CLI flags: the one table.

The library names the field that is wrong, between backquotes (``\\`country\\`: unknown
country 'XXX'``), and knows no command line. The CLI shows the flag the user typed
(``--country: unknown country 'XXX'``): a field becomes ``--field-with-dashes`` unless this
table says otherwise.
"""

from __future__ import annotations

import re

FLAGS = {
    "social_benefit_usd": "--social-benefit",
}
"""Fields whose flag is not ``--`` + the field with dashes."""

FIELD = re.compile(r"`([a-z][a-z0-9_]*)`")


def flag(field: str) -> str:
    """``scc_usd_per_t`` → ``--scc-usd-per-t``."""
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def with_flags(message: str) -> str:
    """A library message with each backquoted field shown as its flag."""
    return FIELD.sub(lambda m: flag(m.group(1)), message)
