"""Canonical JSON of an entry and the hash chain over it.

``hash = sha256(prev_hash + canonical_payload)``, hex. The first entry's ``prev_hash`` is
:data:`GENESIS_HASH`. Canonical JSON: keys sorted, no whitespace, UTF-8, datetimes in ISO 8601.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel

GENESIS_HASH = "0" * 64


def canonical_json(entry: BaseModel | dict[str, Any]) -> str:
    data = entry.model_dump(mode="json") if isinstance(entry, BaseModel) else entry
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()
