"""Each doctor check on a crafted file; exit codes and JSON of ``penguin-studio doctor``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from penguin_studio.cli import main
from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.doctor import (
    Severity,
    apply_safe_fixes,
    has_problems,
    run_doctor,
)


def _jpeg(path: Path, seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    rng = np.random.default_rng(seed)
    ok, buf = cv2.imencode(".jpg", rng.integers(0, 255, (size[1], size[0], 3), np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.tobytes())
    return buf.tobytes()


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    """A two-split dataset with one of every problem the doctor knows."""
    root = tmp_path / "crafted set"
    tr, va = root / "images" / "train", root / "images" / "val"
    lt, lv = root / "labels" / "train", root / "labels" / "val"
    for d in (lt, lv):
        d.mkdir(parents=True)
    good = _jpeg(tr / "good.jpg", 1)
    (lt / "good.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (tr / "zero.jpg").write_bytes(b"")
    (tr / "cut.jpg").write_bytes(good[: len(good) * 2 // 3])  # truncated download
    (tr / "noise.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage, not a jpeg at all")
    Image.new("RGB", (20, 20)).save(tr / "really a gif.jpg", format="GIF")
    (tr / "clip.gif").write_bytes(b"GIF89a")
    _jpeg(tr / "tiny.jpg", 2, size=(8, 8))
    im = Image.fromarray(np.zeros((30, 60, 3), np.uint8))
    exif = im.getexif()
    exif[274] = 6
    im.save(tr / "rotated.jpg", exif=exif)
    _jpeg(tr / "fields.jpg", 3)
    (lt / "fields.txt").write_text("0 0.5 0.5 0.2 0.2 x\n0 0.5 0.5 0.2\n")
    _jpeg(tr / "letters.jpg", 4)
    (lt / "letters.txt").write_text("0 0.5 abc 0.2 0.2\n1.5 0.5 0.5 0.2 0.2\n")
    _jpeg(tr / "outside.jpg", 5)
    (lt / "outside.txt").write_text("0 0.95 0.5 0.2 0.2\n1 0.5 0.5 0.1 0.1\n")
    _jpeg(tr / "far.jpg", 6)
    (lt / "far.txt").write_text("0 1.5 0.5 0.2 0.2\n")
    _jpeg(tr / "flat.jpg", 7)
    (lt / "flat.txt").write_text("0 0.5 0.5 0.0 0.2\n")
    _jpeg(tr / "classid.jpg", 8)
    (lt / "classid.txt").write_text("5 0.5 0.5 0.2 0.2\n")
    _jpeg(tr / "dups.jpg", 9)
    (lt / "dups.txt").write_text("0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n0 0.501 0.5 0.2 0.2\n")
    _jpeg(tr / "mixed.jpg", 10)
    (lt / "mixed.txt").write_text("0 0.5 0.5 0.2 0.2\n0 0.1 0.1 0.3 0.1 0.2 0.4\n")
    _jpeg(tr / "unlabelled.jpg", 11)
    _jpeg(tr / "background.jpg", 12)
    (lt / "background.txt").write_text("")
    _jpeg(tr / "binary.jpg", 13)
    (lt / "binary.txt").write_bytes(b"\x00\x01\x02")
    va.mkdir()
    shutil.copy(tr / "good.jpg", va / "copy of good.jpg")
    (lv / "copy of good.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "data.yaml").write_text(
        f'path: "{root}"\ntrain: images/train\nval: images/val\ntest: images/test\n'
        "names: {0: penguin, 1: rock, 2: seal}\n")
    return root


def _by_image(findings) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f.image.name if f.image else "", set()).add(f.check)
    return out


def test_every_check_on_crafted_files(crafted: Path) -> None:
    findings = run_doctor(open_dataset(crafted))
    got = _by_image(findings)
    expected = {
        "zero.jpg": {"image-empty"},
        "cut.jpg": {"image-truncated"},
        "noise.jpg": {"image-unreadable"},
        "really a gif.jpg": {"image-unsupported"},
        "clip.gif": {"image-unsupported"},
        "tiny.jpg": {"image-too-small"},
        "rotated.jpg": {"exif-rotated"},
        "fields.jpg": {"label-fields"},
        "letters.jpg": {"label-not-number", "label-class-id"},
        "outside.jpg": {"coords-outside"},
        "far.jpg": {"coords-outside"},
        "flat.jpg": {"box-zero-area"},
        "classid.jpg": {"class-out-of-range"},
        "dups.jpg": {"box-duplicate"},
        "mixed.jpg": {"label-mixed"},
        "unlabelled.jpg": {"unlabelled"},
        "background.jpg": {"background"},
        "binary.jpg": {"label-unreadable"},
        "copy of good.jpg": {"duplicate-across-splits"},
        "": {"split-missing", "class-no-instances"},
    }
    for name, checks in expected.items():
        assert checks <= got.get(name, set()), (name, got.get(name))
    assert got.get("good.jpg", set()) <= {"duplicate-across-splits"}
    by_check = {(f.image.name if f.image else "", f.check): f for f in findings}
    assert by_check[("far.jpg", "coords-outside")].severity is Severity.ERROR
    assert by_check[("outside.jpg", "coords-outside")].severity is Severity.WARNING
    dups = [f for f in findings if f.check == "box-duplicate"]
    assert sorted((f.line, f.fixable) for f in dups) == [(2, True), (3, False)]
    assert by_check[("", "class-no-instances")].message.endswith("'seal' has no boxes in any image")
    fields = [f for f in findings if f.check == "label-fields"]
    assert {f.line for f in fields} == {1, 2} and "6 fields" in fields[0].message
    assert has_problems(findings)


def test_safe_fixes_clip_and_dedupe_with_backup(crafted: Path) -> None:
    ds = open_dataset(crafted)
    labels = crafted / "labels" / "train"
    untouched = {n: (labels / n).read_bytes() for n in ("fields.txt", "mixed.txt", "good.txt")}
    report = apply_safe_fixes(ds, run_doctor(ds, hash_images=False))
    assert report.boxes_clipped == 1 and report.duplicates_removed == 1
    assert report.boxes_dropped == 1 and (labels / "far.txt").read_text() == ""
    assert (labels / "dups.txt").read_text().count("\n") == 2
    line = (labels / "outside.txt").read_text().splitlines()[0].split()
    x1, x2 = float(line[1]) - float(line[3]) / 2, float(line[1]) + float(line[3]) / 2
    assert x2 == pytest.approx(1.0) and x1 == pytest.approx(0.85)
    backup = report.backup_dir / "labels" / "train" / "outside.txt"
    assert backup.read_text() == "0 0.95 0.5 0.2 0.2\n1 0.5 0.5 0.1 0.1\n"
    for name, data in untouched.items():
        assert (labels / name).read_bytes() == data
    again = run_doctor(open_dataset(crafted), hash_images=False)
    assert not [f for f in again if f.fixable]


def test_clean_dataset_is_clean(tiny_dataset: Path) -> None:
    findings = run_doctor(open_dataset(tiny_dataset))
    assert not has_problems(findings), [f.message for f in findings]


def test_cli_exit_codes_and_json(crafted: Path, tiny_dataset: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture) -> None:
    assert main(["doctor", str(tiny_dataset)]) == 0
    assert "No problems found" in capsys.readouterr().out
    assert main(["doctor", str(crafted / "data.yaml"), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["counts"]["image-empty"] == 1
    assert any(f["check"] == "coords-outside" and f["fixable"] for f in doc["findings"])
    (tmp_path / "nowhere.yaml").write_text("train: nope/\nval: nope/\nnames: [a]\n")
    assert main(["doctor", str(tmp_path / "nowhere.yaml")]) == 2
    assert "nope/" in capsys.readouterr().err
    assert main(["doctor", str(crafted), "--fix", "--no-hash", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["fixed"]["duplicates_removed"] == 1 and Path(doc["fixed"]["backup"]).is_dir()
    assert "coords-outside" not in {f["check"] for f in doc["findings"] if f["fixable"]}


def test_unreadable_label_is_listed_by_its_label_file(tiny_dataset: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    """A binary label file and a folder named like one were listed by their image's path,
    so users opened the (fine) image to look for the problem."""
    labels = tiny_dataset.parent / "labels" / "train"
    binary, folder = sorted(labels.glob("*.txt"))[:2]
    binary.write_bytes(bytes(range(256)))
    folder.unlink()
    folder.mkdir()
    assert main(["doctor", str(tiny_dataset), "--no-hash"]) == 1
    out = capsys.readouterr().out
    assert f"  {binary}  is not a text file" in out
    assert f"  {folder}  cannot be read (it is a folder, not a file)" in out


def test_cancel_stops_the_doctor_and_the_index(tiny_dataset: Path) -> None:
    from penguin_studio.core.dataset.index import build_index
    from penguin_studio.core.errors import Cancelled
    from penguin_studio.core.jobs import JobContext

    ds = open_dataset(tiny_dataset)
    for job in (lambda ctx: run_doctor(ds, ctx), lambda ctx: build_index(ds, ctx)):
        ctx = JobContext()
        ctx.token.cancel()
        with pytest.raises(Cancelled):
            job(ctx)
