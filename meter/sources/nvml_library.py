"""The edge to NVML: loading ``pynvml``, init/shutdown, and one table from NVML errors to ours.

``pynvml`` comes from the ``nvidia-ml-py`` distribution and loads ``libnvidia-ml.so.1`` by
name at the first ``nvmlInit``. Every NVML error the meter sees goes through
:func:`meter_error`, so the rest of the meter knows only ``Unavailable``,
``PermissionDenied`` and ``DeviceLost``.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

from meter.errors import DeviceLost, MeterError, PermissionDenied, Unavailable

# NVML return codes (nvml.h), as numbers so this table does not need pynvml to import.
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_RESET_REQUIRED = 16
NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18
NVML_ERROR_GPU_NOT_FOUND = 28

_ERROR_TABLE: dict[int, type[MeterError]] = {
    NVML_ERROR_UNINITIALIZED: Unavailable,
    NVML_ERROR_NOT_SUPPORTED: Unavailable,
    NVML_ERROR_NOT_FOUND: Unavailable,
    NVML_ERROR_DRIVER_NOT_LOADED: Unavailable,
    NVML_ERROR_LIBRARY_NOT_FOUND: Unavailable,
    NVML_ERROR_FUNCTION_NOT_FOUND: Unavailable,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH: Unavailable,
    NVML_ERROR_NO_PERMISSION: PermissionDenied,
    NVML_ERROR_GPU_IS_LOST: DeviceLost,
    NVML_ERROR_RESET_REQUIRED: DeviceLost,
    NVML_ERROR_GPU_NOT_FOUND: DeviceLost,
}


def nvml_code(exc: BaseException) -> int | None:
    value = getattr(exc, "value", None)
    return value if isinstance(value, int) else None


def meter_error(exc: BaseException) -> MeterError:
    """The meter error for an exception raised by pynvml (unknown codes: ``MeterError``)."""
    if isinstance(exc, MeterError):
        return exc
    code = nvml_code(exc)
    kind = _ERROR_TABLE.get(code, MeterError) if code is not None else MeterError
    text = f"NVML error {code}: {exc}" if code is not None else f"NVML: {exc}"
    return kind(text)


class NvmlSession:
    """One ``nvmlInit`` shared by the sources of one detection; ``nvmlShutdown`` when released.

    NVML's init is reference-counted, so several sessions (or CodeCarbon in the same process)
    can coexist.
    """

    def __init__(self) -> None:
        try:
            import pynvml
        except ImportError as exc:
            raise Unavailable(f"the nvidia-ml-py package (pynvml) is not installed: {exc}") from exc
        self.nvml: ModuleType = pynvml
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            if nvml_code(exc) == NVML_ERROR_LIBRARY_NOT_FOUND:
                raise Unavailable(
                    "no NVML library (libnvidia-ml.so.1 not found): no NVIDIA driver here"
                ) from exc
            raise meter_error(exc) from exc
        except OSError as exc:
            raise Unavailable(f"cannot load libnvidia-ml.so.1: {exc}") from exc
        self._lock = threading.Lock()
        self._users = 0
        self._closed = False

    def acquire(self) -> NvmlSession:
        with self._lock:
            self._users += 1
        return self

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            done = self._users <= 0 and not self._closed
            if done:
                self._closed = True
        if done:
            try:
                self.nvml.nvmlShutdown()
            except Exception:
                pass

    def call(self, name: str, *args: Any) -> Any:
        """``pynvml.<name>(*args)`` with NVML errors turned into meter errors."""
        try:
            return getattr(self.nvml, name)(*args)
        except self.nvml.NVMLError as exc:
            raise meter_error(exc) from exc

    def driver_version(self) -> str:
        try:
            return str(self.call("nvmlSystemGetDriverVersion"))
        except MeterError:
            return "unknown"
