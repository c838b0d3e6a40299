"""Build the fake NVML driver: ``python tests/fake_nvml/build.py OUTDIR``.

Compiles ``fake_nvml.c`` with gcc into ``OUTDIR/libnvidia-ml.so.1`` and prints that path.
Point ``LD_LIBRARY_PATH`` at OUTDIR (or preload the file) and the real ``pynvml`` loads it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "fake_nvml.c"
SONAME = "libnvidia-ml.so.1"


def build(out_dir: str | Path) -> Path:
    """Compile the fake into ``out_dir/libnvidia-ml.so.1`` and return its path."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise RuntimeError("no C compiler: install gcc to build the fake NVML driver")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / SONAME
    command = [
        gcc,
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-shared",
        "-fPIC",
        f"-Wl,-soname,{SONAME}",
        "-o",
        str(target),
        str(SOURCE),
        "-lm",
        "-lpthread",
    ]
    subprocess.run(command, check=True)
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: build.py OUTDIR", file=sys.stderr)
        return 2
    print(build(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
