"""Canonical JSON of an entry and the hash chain over it.

``hash = sha256(prev_hash + canonical_payload)``, hex. The first entry's ``prev_hash`` is
:data:`GENESIS_HASH`. Canonical JSON: keys sorted, no whitespace, UTF-8, datetimes in ISO 8601,
numbers as Python's ``json`` writes them (``repr`` of a float, ``NaN``/``Infinity``).

The bytes are defined by :func:`canonical_json_stdlib` (the form every ledger holds). orjson
writes the same bytes ten times faster, except for three things it does differently, each
detected and handed to the standard library:

- floats below 1e-4 in magnitude (orjson: ``0.00001``, ``1e-7``; Python: ``1e-05``, ``1e-07``),
  found in orjson's output by :data:`_ORJSON_DIFFERS` (a string that merely looks like one
  only costs the slow path);
- NaN and ±infinity (orjson writes ``null``), found before serializing;
- integers beyond 64 bits and lone surrogates (orjson refuses them).

An entry (a pydantic model) is handed to orjson as its fields, without ``model_dump``: orjson
writes the field types entries use (text, numbers, booleans, tuples, datetimes with
``OPT_UTC_Z``) exactly as pydantic's JSON mode does, and a nested model as its fields. Only the
fields that can hold a float are looked at for NaN and ±inf (a table per entry class).
"""

from __future__ import annotations

import hashlib
import json
import re
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel

GENESIS_HASH = "0" * 64
_ORJSON_DIFFERS = re.compile(r"0\.0000|\de-\d(?!\d)")
_SORTED = orjson.OPT_SORT_KEYS
_SORTED_UTC_Z = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z


def canonical_json_stdlib(data: Any) -> str:
    """The canonical form by definition (the standard library's ``json``)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _mentions_float(annotation: Any) -> bool:
    if annotation is float:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(_mentions_float(f.annotation) for f in annotation.model_fields.values())
    return any(_mentions_float(arg) for arg in typing.get_args(annotation))


@cache
def _float_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of this model class that can hold a float, nested models included."""
    return tuple(name for name, f in model.model_fields.items() if _mentions_float(f.annotation))


def _non_finite_in(items: Iterable[Any]) -> bool:
    """Is there a NaN or ±inf among these values, or inside a list, tuple, dict or model
    among them? A model is looked at in its float fields only. (A sum of floats that
    overflows also answers yes: that only sends it down the exact, slower path.)"""
    for item in items:
        kind = type(item)
        if kind is float:
            if item - item != 0.0:
                return True
        elif kind is list or kind is tuple:
            if not item:
                continue
            if type(item[0]) is float:
                try:
                    total = sum(item, 0.0)
                except TypeError:
                    total = float("nan") if _non_finite_in(item) else 0.0
                if total - total != 0.0:
                    return True
            elif _non_finite_in(item):
                return True
        elif kind is dict:
            if _non_finite_in(item.values()):
                return True
        elif isinstance(item, BaseModel):
            fields = item.__dict__
            if _non_finite_in([fields[name] for name in _float_fields(type(item))]):
                return True
    return False


def _fields_of(value: Any) -> dict[str, Any]:
    """orjson's ``default``: a nested model is written as its fields."""
    if isinstance(value, BaseModel):
        return value.__dict__
    raise TypeError


def _differs(text: str) -> bool:
    """Does orjson's text hold a float that ``json`` writes differently (below 1e-4)?"""
    return ("0.0000" in text or "e-" in text) and _ORJSON_DIFFERS.search(text) is not None


def canonical_json(entry: BaseModel | dict[str, Any]) -> str:
    if isinstance(entry, BaseModel):
        if not _non_finite_in((entry,)):
            try:
                fast = orjson.dumps(entry.__dict__, default=_fields_of, option=_SORTED_UTC_Z)
            except (orjson.JSONEncodeError, TypeError):  # > 64-bit ints, lone surrogates
                pass
            else:
                decoded = fast.decode("utf-8")
                if not _differs(decoded):
                    return decoded
        data = entry.model_dump(mode="json")
    else:
        data = entry
    if _non_finite_in(data.values()):
        return canonical_json_stdlib(data)
    try:
        text = orjson.dumps(data, option=_SORTED).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):  # > 64-bit ints, lone surrogates
        return canonical_json_stdlib(data)
    if _differs(text):
        return canonical_json_stdlib(data)
    return text


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()
