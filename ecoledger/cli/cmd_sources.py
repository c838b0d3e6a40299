"""``ecoledger sources [--json] [--gpus LIST]``: which energy sources the meter would use, and why.

Every candidate (each GPU through NVML, RAPL zones, the CPU and RAM estimates) is listed as
used or not used, with the reason. Nothing is written to the ledger.
"""

from __future__ import annotations

import argparse
from typing import Any

from ecoledger.cli.common import add_command, add_gpus_arg, fail, print_json
from ecoledger.cli.flags import with_flags


def register(sub: Any) -> None:
    p = add_command(sub, "sources")
    p.add_argument("--json", action="store_true", help="print the probes as JSON")
    add_gpus_arg(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from meter import detect_sources
    from meter.sources.gpu_selection import parse_gpu_list

    gpus = None
    if args.gpus is not None:
        try:
            gpus = parse_gpu_list(args.gpus)
        except ValueError as exc:
            fail(str(exc))
    detection = detect_sources(gpus=gpus)
    try:
        probes = [
            {
                "name": p.name,
                "kind": p.kind,
                "used": p.used,
                "device_id": p.device_id,
                "method": p.method,
                "reason": with_flags(p.reason),
            }
            for p in detection.probes
        ]
        if args.json:
            print_json({"sources": probes})
            return 0
        for probe in probes:
            mark = "used    " if probe["used"] else "not used"
            what = probe["device_id"] or probe["name"]
            method = f" [{probe['method']}]" if probe["used"] and probe["method"] else ""
            print(f"{mark}  {probe['kind']:<3}  {what}{method}: {probe['reason']}")
        return 0
    finally:
        detection.close()
