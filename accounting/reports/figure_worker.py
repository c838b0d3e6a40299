"""The child process that draws a report's figures with kaleido: ``python -m
accounting.reports.figure_worker FOLDER``.

It reads ``FOLDER/request.json`` (``{"jobs": [{name, file, figure (Plotly JSON), opts}]}``),
starts one kaleido server (one headless browser, ``BROWSER_PATH``), writes each image to
``FOLDER/<file>`` and prints ``start NAME`` as each figure begins. Any failure is one line
on stderr and exit code 3. The parent bounds it with a deadline and kills its process group,
so a browser that hangs here never hangs the report.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0]}" if text else exc.__class__.__name__


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    jobs = json.loads((folder / "request.json").read_text(encoding="utf-8"))["jobs"]
    import kaleido
    import plotly.io as pio

    try:
        kaleido.start_sync_server(silence_warnings=True)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        print(f"the browser did not start: {_one_line(exc)}", file=sys.stderr)
        return 3
    try:
        seen: set[str] = set()
        for job in jobs:
            if job["name"] not in seen:
                seen.add(job["name"])
                print(f"start {job['name']}", flush=True)
            figure = pio.from_json(job["figure"])
            data = kaleido.calc_fig_sync(figure, opts=job["opts"])
            (folder / job["file"]).write_bytes(bytes(data))
    except Exception as exc:  # noqa: BLE001
        print(f"{job['file']}: {_one_line(exc)}", file=sys.stderr)
        return 3
    finally:
        with contextlib.suppress(Exception):
            kaleido.stop_sync_server(silence_warnings=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
