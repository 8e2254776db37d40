"""benchmarks/bench_labelling.py end to end at its smallest: the JSON has the three curves."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_labelling.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_labelling", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.slow
def test_the_benchmark_reports_three_curves(tmp_path: Path, capsys) -> None:
    bench = _load_bench()
    assert bench.main(["--images", "24", "--k", "4", "--b", "3", "--rounds", "1",
                       "--budget", "4", "--imgsz", "64", "--keep", str(tmp_path / "w")]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(last["curves"]) == {"manual", "assisted_random", "assisted_queue"}
    for curve in last["curves"].values():
        assert len(curve) == 2 and curve[1][0] > curve[0][0]  # seconds grow each round
    # manual pays 35 s per box; the assisted curves never cost more than drawing everything
    manual = last["curves"]["manual"][1][0]
    assert last["curves"]["assisted_random"][1][0] <= manual + 1.6 * 50
    assert set(last["ratios"]) == {"queue_vs_manual", "queue_vs_random"}
    assert (last["settings"]["k"], last["settings"]["b"]) == (4, 3)
    # every curve draws the same first k by hand (the protocol)
    assert len(set(last["first_k_seconds"].values())) == 1
    assert set(last["first_k_seconds"]) == set(last["curves"])
    assert [len(b) for b in last["boxes_per_round"].values()] == [2, 2, 2]


def test_ratios_and_bounds_at_ninety_percent_of_the_best() -> None:
    bench = _load_bench()
    curves = {"manual": [[100, 0.1], [400, 0.5], [800, 0.6]],
              "assisted_random": [[100, 0.1], [300, 0.5], [500, 0.6]],
              "assisted_queue": [[100, 0.1], [250, 0.7]]}
    out = bench.summarise(curves)
    assert out["best_map50"] == 0.7 and out["target_map50"] == 0.63
    assert out["seconds_to_90pct"] == {"manual": None, "assisted_random": None,
                                       "assisted_queue": 250}
    assert out["ratios"] == {"queue_vs_manual": None, "queue_vs_random": None}
    assert out["ratio_upper_bounds"] == {"queue_vs_manual": 0.312, "queue_vs_random": 0.5}
    curves["assisted_queue"] = [[100, 0.1], [300, 0.6]]  # best 0.6: all reach 0.54
    out = bench.summarise(curves)
    assert out["ratios"] == {"queue_vs_manual": 0.375, "queue_vs_random": 0.6}
    assert out["ratio_upper_bounds"] == {}


def test_a_dataset_with_only_a_test_split_is_split_for_the_benchmark(tmp_path: Path) -> None:
    bench = _load_bench()
    from penguin_studio.core.dataset.project import label_path_for, open_dataset

    source = BENCH.parents[2] / "shared" / "data" / "aquarium-test" / "data.yaml"
    if not source.exists():
        pytest.skip("../shared/data/aquarium-test is not present")
    data, hidden = bench.prepare(bench.parse_args(["--data", str(source)]), tmp_path)
    ds = open_dataset(data)
    assert (len(hidden), len(ds.images("val"))) == (42, 21)
    assert ds.names == open_dataset(source).names
    assert not any(label_path_for(Path(p)).exists() for p in hidden)  # hidden until labelled
    assert all(label_path_for(p).exists() for p in ds.images("val"))


def test_queue_first_starts_from_the_queue_s_diversity_order(tmp_path: Path) -> None:
    bench = _load_bench()
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.labelling.queue import build_queue

    args = bench.parse_args(["--images", "24", "--k", "4", "--queue-first"])
    data, hidden = bench.prepare(args, tmp_path)
    first = bench.first_images("queue", data, hidden, args.k, args.seed)
    expected = build_queue(open_dataset(data), None, images=[Path(p) for p in sorted(hidden)])
    assert first == [str(i.path) for i in expected.items[:4]]
    assert len(bench.first_images("random", data, hidden, args.k, args.seed)) == 4
    assert bench.describe(args, len(hidden))["queue_first"] is True
