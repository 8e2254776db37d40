"""``penguin-studio doctor DATA``: check a dataset's images and labels before training.

Exit status: 0 clean (information only), 1 problems found, 2 the dataset cannot be opened.
``--json`` prints one JSON document on stdout; ``--fix`` applies the safe fixes (clip boxes to
the image, drop exact duplicate boxes) after backing up every file it changes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_CANNOT_OPEN = 0, 1, 2
MAX_LISTED = 20  # per check, in the human-readable report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check a dataset's images and labels for problems",
                       description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path, metavar="DATA",
                   help="data yaml, folder holding one, or folder of images")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--fix", action="store_true",
                   help="clip boxes to the image and drop exact duplicates (backup first)")
    p.add_argument("--no-hash", action="store_true",
                   help="skip comparing image contents across splits (faster)")
    p.add_argument("--decode", action="store_true",
                   help="also decode every image (slow; finds damage inside files)")
    p.add_argument("--all", action="store_true", help="list every finding, not the first 20")


def run(args: argparse.Namespace) -> int:
    from penguin_studio.core.dataset.doctor import (
        apply_safe_fixes,
        has_problems,
        run_doctor,
    )
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.errors import DatasetError
    from penguin_studio.core.jobs import JobContext

    try:
        dataset = open_dataset(args.data)
    except DatasetError as exc:
        if args.json:
            print(json.dumps({"dataset": str(args.data), "ok": False, "error": str(exc)}))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_OPEN
    ctx = JobContext(progress=_progress_printer()) if not args.json else JobContext()
    findings = run_doctor(dataset, ctx, hash_images=not args.no_hash,
                          decode_images=args.decode)
    fix_report = None
    if args.fix:
        fix_report = apply_safe_fixes(dataset, findings, ctx)
        if fix_report.files_changed:
            dataset = open_dataset(dataset.yaml_path or dataset.root)
            findings = run_doctor(dataset, JobContext(), hash_images=not args.no_hash)
    if args.json:
        print(json.dumps(_json_report(dataset, findings, fix_report), ensure_ascii=False))
    else:
        _print_report(dataset, findings, fix_report, list_all=args.all)
    return EXIT_PROBLEMS if has_problems(findings) else EXIT_CLEAN


def _progress_printer():
    last = [-1]

    def show(done: int, total: int, message: str) -> None:
        if not sys.stderr.isatty() or not total:
            return
        pct = done * 100 // total
        if pct != last[0]:
            last[0] = pct
            end = "\n" if done >= total else ""
            print(f"\r{message}: {pct}%", end=end, file=sys.stderr, flush=True)

    return show


def _json_report(dataset, findings, fix_report) -> dict:
    from penguin_studio.core.dataset.doctor import count_by_check, has_problems

    doc = {
        "dataset": str(dataset.yaml_path or dataset.root),
        "images": len(dataset.unique_images()),
        "classes": dataset.names,
        "ok": not has_problems(findings),
        "counts": count_by_check(findings),
        "findings": [f.to_dict() for f in findings],
    }
    if fix_report is not None:
        doc["fixed"] = {"files": [str(p) for p in fix_report.files_changed],
                        "boxes_clipped": fix_report.boxes_clipped,
                        "duplicates_removed": fix_report.duplicates_removed,
                        "boxes_dropped": fix_report.boxes_dropped,
                        "backup": str(fix_report.backup_dir) if fix_report.backup_dir else None}
    return doc


def _print_report(dataset, findings, fix_report, list_all: bool) -> None:
    from penguin_studio.core.dataset.doctor import CHECKS, Severity

    print(f"Dataset: {dataset.yaml_path or dataset.root}")
    print(f"{len(dataset.unique_images())} images, {dataset.nc} classes")
    if fix_report is not None:
        print(fix_report.summary())
    by_check: dict[str, list] = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f)
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    for check, items in sorted(by_check.items(), key=lambda kv: (order[kv[1][0].severity],
                                                                 kv[0])):
        severity = items[0].severity.value.upper()
        print(f"\n{severity} {check}: {CHECKS[check][1]} ({len(items)})")
        if items[0].severity is Severity.INFO and not list_all:
            continue
        shown = items if list_all else items[:MAX_LISTED]
        for f in shown:
            about_label = f.line or f.check.startswith("label-")  # the file to open
            where = f.label if about_label and f.label else (f.image or f.label or "")
            line = f":{f.line}" if f.line else ""
            print(f"  {where}{line}  {f.message}" if where else f"  {f.message}")
        if len(items) > len(shown):
            print(f"  … and {len(items) - len(shown)} more (--all lists them)")
    problems = [f for f in findings if f.severity is not Severity.INFO]
    fixable = sum(1 for f in problems if f.fixable)
    print()
    if not problems:
        print("No problems found.")
    else:
        hint = f"; {fixable} can be fixed safely with --fix" if fixable and not fix_report else ""
        print(f"{len(problems)} problems found{hint}.")
