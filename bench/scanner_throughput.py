#!/usr/bin/env python3
"""Throughput (MB/s) and peak memory of the personal-data scanner on a generated CSV.

    var/venv/bin/python bench/scanner_throughput.py [--mb 200] [--folder var/bench]

Writes a CSV of sensor-style rows (timestamps, zone ids, counts, coordinates, notes) with
a few planted CPR numbers, e-mail addresses and phone numbers, once (kept for later
runs), then scans it in a fresh process and reports MB/s and that process's peak
resident memory, beside the same process only reading and decoding the file (the floor
any scanner pays). Nothing is asserted: the figures go in the issue notes.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
path, mode = sys.argv[1], sys.argv[2]
start = time.perf_counter()
with open(path, "rb") as f:
    if mode == "scan":
        from ckanext.gdprcheck import scanner
        result = scanner.scan(f, "csv")
        found = {x.detector: x.count for x in result.findings}
    else:
        import codecs
        decoder = codecs.getincrementaldecoder("utf-8")()
        while chunk := f.read(4 << 20):
            decoder.decode(chunk)
        found = {}
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "found": found}))
"""


def generate(path: Path, megabytes: int, quoted: bool = False) -> None:
    """``quoted``: every row also carries a quoted address with a comma, a quoted
    coordinate pair and, every tenth row, a quoted note with a line break and a quote,
    the worst case for the RFC 4180 reader."""
    rnd = random.Random(7)
    target = megabytes * 1024 * 1024
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            "timestamp,zone_id,count,avg_speed,sensor,lat,lon,note"
            + (",adresse,placering,bemaerkning\n" if quoted else "\n")
        )
        written, i = 0, 0
        while written < target:
            note = "ok"
            if i % 100_000 == 0:
                note = f"kontakt borger{i}@example.dk eller +45 2{i % 10} 11 22 33, cpr 0101901234"
            line = (
                f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00,DK-{1000 + i % 9000},"
                f"{rnd.randint(0, 5000)},{rnd.random() * 50:.2f},S{i % 300:04d},"
                f"55.{rnd.randint(600, 700)},12.{rnd.randint(500, 600)},{note}"
                + (
                    f',"Vesterbrogade {i % 300}, 1620 København V","55.{i % 97},12.{i % 89}",'
                    + ('"sagde ""ok"",\nringer igen"' if i % 10 == 0 else '"ok"')
                    if quoted
                    else ""
                )
                + "\n"
            )
            out.write(line)
            written += len(line)
            i += 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--folder", default="var/bench")
    parser.add_argument(
        "--quoted", action="store_true", help="quoted fields with commas, quotes and line breaks"
    )
    args = parser.parse_args()
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"scanner-{args.mb}mb{'-quoted' if args.quoted else ''}.csv"
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        generate(path, args.mb, args.quoted)
    size = path.stat().st_size / 1e6
    runs = {}
    for mode in ("read", "scan"):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), mode],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs[mode] = json.loads(out.strip().splitlines()[-1])
    for mode, run in runs.items():
        label = "read and decode only" if mode == "read" else "scan (all detectors)"
        print(
            f"{label:22s} {size / run['seconds']:7.1f} MB/s   peak memory {run['peak_mb']:6.1f} MB"
        )
    print(f"file: {size:.0f} MB; found: {runs['scan']['found']}")


if __name__ == "__main__":
    main()
