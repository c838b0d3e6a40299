"""The meter's few errors. Vendor error codes map onto these at the edge, in one table."""

from __future__ import annotations


class MeterError(Exception):
    """Base of the meter's errors."""


class Unavailable(MeterError):
    """The source or function is not there (no library, no device, not supported)."""


class PermissionDenied(MeterError):
    """The source exists but this process may not read it."""


class DeviceLost(MeterError):
    """The device fell off the bus or stopped answering mid-run."""
