"""Hostile spreadsheet uploads: the import's peak memory and time for each, one process per file.

Each file is imported (dry run, as `POST /api/v1/achievements/import/?dry_run=true` does) in a
fresh Python process with a scratch database; the figure that matters is the peak resident set
(ru_maxrss) above the same process's idle baseline, taken after Django, openpyxl and the
database are loaded and before the upload is read. The issue's budget is 300 MB.

    python bench/hostile_import_bench.py [--case NAME ...] [--json FILE]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")


def cases() -> dict:
    """name -> (upload file name, builder); every file fits the default 10 MB upload limit."""
    from tests import hostile_files as h

    return {
        "zip-bomb-1gb-shared-strings": ("bomb.xlsx", h.shared_strings_bomb),
        "zip-bomb-lying-directory": ("lying.xlsx", h.lying_bomb),
        "entity-expansion": ("laughs.xlsx", h.entity_bomb),
        "far-cell-XFD1048576": ("far.xlsx", h.far_cell_sheet),
        "one-row-1m-cells": ("wide.xlsx", lambda: h.wide_row_sheet(1_000_000)),
        "500k-shared-strings": ("strings.xlsx", lambda: h.many_strings(500_000)),
        "1m-shared-strings-renamed-part": ("renamed.xlsx", lambda: h.many_strings(1_000_000, strings_part="s.bin")),
        "inline-cell-200m-chars": ("inline.xlsx", lambda: h.giant_inline_cell(200_000_000)),
        "csv-9mb-of-commas": ("commas.csv", lambda: h.huge_csv_line(9 * 1024 * 1024)),
        "csv-gbk-9mb-long-abstracts": ("long.csv", lambda: h.long_abstract_csv(9 * 1024 * 1024)),
        "20k-full-rows": ("full.xlsx", h.full_rows),
    }


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def child(path: str, name: str, database: bool = True) -> None:
    """Runs in its own process: import one file and print the figures as JSON. Without a
    database (for files the reader refuses before the importer starts) there is no institution."""
    sys.path.insert(0, str(ROOT / "bench"))
    from contextlib import nullcontext

    from _db import scratch_database

    if not database:
        import django

        django.setup()
    with scratch_database() if database else nullcontext():
        import openpyxl  # noqa: F401 (loaded by the idle server too)
        from django.core.files.uploadedfile import SimpleUploadedFile

        from achievements.importing import import_achievements
        from achievements.models import Institution
        from core.api.errors import ImportRejected

        institution = Institution.objects.create(name="内存测试大学") if database else None
        baseline = _rss_mb()
        started = time.perf_counter()
        data = Path(path).read_bytes()
        try:
            result = import_achievements(
                upload=SimpleUploadedFile(name, data), institution=institution, actor=None, dry_run=True
            )
            outcome, message, rows = "accepted", "", result.created
        except ImportRejected as exc:
            outcome, message, rows = "refused", str(exc.detail), len(exc.rows)
        seconds = time.perf_counter() - started
        peak = _rss_mb()
    print(
        json.dumps(
            {
                "upload_mb": round(len(data) / 1_048_576, 2),
                "baseline_mb": round(baseline, 1),
                "peak_mb": round(peak, 1),
                "growth_mb": round(peak - baseline, 1),
                "seconds": round(seconds, 2),
                "outcome": outcome,
                "row_errors_or_rows": rows,
                "message": message[:160],
            },
            ensure_ascii=False,
        )
    )


def measure(case: str, *, database: bool = True) -> dict:
    """Build the case's file, import it in a fresh process, return the figures."""
    name, build = cases()[case]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(build())
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        completed = subprocess.run(
            [sys.executable, __file__, "--child", str(path), name] + ([] if database else ["--no-database"]),
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{completed.stderr[-3000:]}")
    return {"case": case, **json.loads(completed.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", help="one of the cases (default: all)")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--no-database", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, database=not args.no_database)
        return
    import django

    django.setup()
    results = [measure(case) for case in (args.case or list(cases()))]
    print(f"{'case':<30}{'upload MB':>10}{'idle MB':>9}{'peak MB':>9}{'+MB':>8}{'s':>7}  outcome")
    print("-" * 100)
    for r in results:
        print(
            f"{r['case']:<30}{r['upload_mb']:>10}{r['baseline_mb']:>9}{r['peak_mb']:>9}{r['growth_mb']:>8}"
            f"{r['seconds']:>7}  {r['outcome']}: {r['message'][:60]}"
        )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
