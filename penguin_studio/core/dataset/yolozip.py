"""Ultralytics dataset zip ⇄ project: a portable copy anyone can train on.

The zip holds ``data.yaml`` (no ``path:``: ultralytics then uses the folder it extracted to),
``images/<split>/…`` and ``labels/<split>/…``; two images of one split with the same name get
``_2``, ``_3``… suffixes so none is lost. Images keep their bytes (stored, not recompressed).
Unreadable label files are left out (and reported) rather than shipped broken; unlabelled
images are included without a label file, so they stay unlabelled.

Import extracts into an empty folder, refusing absolute or ``..`` member paths, then opens
the dataset found in it.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from penguin_studio.core.dataset.conversion import ConversionReport
from penguin_studio.core.dataset.datayaml import render_data_yaml
from penguin_studio.core.dataset.index import LabelStatus, build_index
from penguin_studio.core.dataset.project import YAML_NAMES, Dataset, open_dataset
from penguin_studio.core.errors import DatasetError, UserError
from penguin_studio.core.filemodes import give_mode
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.outputs_guard import check_output_file, check_replaceable_export


def export_yolo_zip(dataset: Dataset, out_zip: str | Path, splits: list[str] | None = None,
                    ctx: JobContext | None = None) -> ConversionReport:
    """Write the dataset as an Ultralytics dataset zip at ``out_zip`` (atomically)."""
    ctx = ctx or JobContext()
    out_zip = check_output_file(Path(out_zip).expanduser().resolve(), dataset,
                                what="the dataset zip")
    if out_zip.is_dir():
        raise UserError(f"{out_zip} is a folder: give the zip a file name, such as "
                        f"{out_zip / (dataset.title + '.zip')}.")
    check_replaceable_export(out_zip, "the dataset zip")
    report = ConversionReport(names=list(dataset.names), output=out_zip)
    entries = [e for e in build_index(dataset).entries if splits is None or e.split in splits]
    tmp = out_zip.with_name(f".{out_zip.name}.partial")
    used: set[str] = set()
    try:
        out_zip.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(tmp, "w") as zf:
            for done, entry in enumerate(entries, start=1):
                _add_entry(zf, entry, used, report)
                if done % 200 == 0 or done == len(entries):
                    ctx.step(done, len(entries), "writing zip")
            present = [s for s in ("train", "val", "test") if any(e.split == s for e in entries)]
            text = render_data_yaml(dataset.names, {s: f"images/{s}" for s in present}, None,
                                    comment=f"{dataset.title}, exported by Penguin Studio")
            zf.writestr("data.yaml", text, compress_type=zipfile.ZIP_DEFLATED)
        give_mode(tmp, out_zip)
        os.replace(tmp, out_zip)
    except OSError as exc:
        raise UserError(f"Cannot write {out_zip}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return report


def _add_entry(zf: zipfile.ZipFile, entry, used: set[str], report: ConversionReport) -> None:
    if not entry.image.is_file():
        report.skip("missing image file", str(entry.image), entry.image.name)
        return
    stem, suffix = entry.image.stem, entry.image.suffix
    name, n = f"{stem}{suffix}", 1
    while f"{entry.split}/{name.lower()}" in used:
        n += 1
        name = f"{stem}_{n}{suffix}"
    used.add(f"{entry.split}/{name.lower()}")
    zf.write(entry.image, f"images/{entry.split}/{name}", compress_type=zipfile.ZIP_STORED)
    report.images += 1
    label_name = f"labels/{entry.split}/{Path(name).stem}.txt"
    if entry.status is LabelStatus.ERROR:
        report.skip("unreadable label file (left out)", entry.error, entry.image.name)
    elif entry.status is not LabelStatus.UNLABELLED:
        zf.write(entry.label, label_name, compress_type=zipfile.ZIP_DEFLATED)
        report.boxes += len(entry.boxes)


def import_yolo_zip(zip_path: str | Path, dest: str | Path) -> Dataset:
    """Extract an Ultralytics dataset zip into the empty (or new) folder ``dest`` and open it."""
    zip_path, dest = Path(zip_path).expanduser(), Path(dest).expanduser().resolve()
    if zip_path.is_dir():
        raise DatasetError(f"{zip_path} is a folder, not a zip file: open it as a dataset "
                           f"instead, or pick the .zip file.")
    if dest.exists() and not dest.is_dir():
        raise UserError(f"{dest} is a file: pick an empty folder to extract into.")
    if dest.exists() and any(dest.iterdir()):
        raise UserError(f"{dest} is not empty: pick an empty folder to extract into.")
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = zf.infolist()
            for m in members:
                target = (dest / m.filename).resolve()
                if m.filename.startswith(("/", "\\")) or dest not in (target, *target.parents):
                    raise DatasetError(f"{zip_path.name} contains an unsafe path "
                                       f"'{m.filename}'; nothing was extracted.")
            dest.mkdir(parents=True, exist_ok=True)
            zf.extractall(dest)
    except FileNotFoundError:
        raise DatasetError(f"{zip_path} does not exist.") from None
    except zipfile.BadZipFile as exc:
        raise DatasetError(f"{zip_path.name} is not a valid zip file ({exc}).") from exc
    except OSError as exc:  # an unwritable or full destination, a folder under a file
        raise UserError(f"Cannot extract {zip_path.name} into {dest}: "
                        f"{exc.strerror or exc}. Pick an empty folder you can write to.") from exc
    return open_dataset(_find_yaml(dest))


def _find_yaml(folder: Path) -> Path:
    for name in YAML_NAMES:
        hits = sorted(folder.rglob(name), key=lambda p: len(p.parts))
        if hits:
            return hits[0]
    return folder
