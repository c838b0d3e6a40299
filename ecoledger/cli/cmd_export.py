"""`ecoledger export`: not implemented yet."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    return None
