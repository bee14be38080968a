"""What dead runs leave is swept by the next commit (safe under the dataset lock), a live run's staging is
never touched, and a run that fails removes its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataset import commit as commits
from dataset import inputs, runner
from tests.dataset.corpus import make_corpus
from tests.dataset.snapshot import finish, run_child, run_once, snapshot, wait_for


def _leftovers(out: Path) -> list[Path]:
    """Temporary files and staging folders anywhere in the dataset."""
    return sorted([*out.rglob("*.tmp"), *((out / "_staging").iterdir() if (out / "_staging").exists() else [])])


def test_what_killed_runs_left_is_swept_by_the_next_commit(tmp_path):
    inputs_dir = tmp_path / "inputs"
    make_corpus(inputs_dir, articles=12, seed=21, copies=1)
    out = tmp_path / "out"
    for k, point in enumerate(["batch_staged:2", "rows_written:1", "rows_written:2"]):
        code, _, stderr = finish(run_child(inputs_dir, out, f"20260101T00000{k}Z-killed", "--kill", point))
        assert code == -9, stderr[-2000:]
    left = _leftovers(out)
    assert any(p.suffix == ".tmp" for p in left) and any(p.parent.name == "_staging" for p in left)
    result = json.loads(run_once(inputs_dir, out, "20260101T000009Z-next"))
    assert _leftovers(out) == []
    assert result["swept"]["files"] >= len(left)
    reference = tmp_path / "reference"
    run_once(inputs_dir, reference, "20260101T000010Z-ref")
    assert snapshot(out) == snapshot(reference)


def test_a_live_run_keeps_its_staging_while_another_commits(tmp_path):
    make_corpus(tmp_path / "a", articles=6, seed=22)
    make_corpus(tmp_path / "b", articles=6, seed=23)
    out, barrier = tmp_path / "out", tmp_path / "barrier"
    barrier.mkdir()
    live = run_child(tmp_path / "a", out, "20260101T000001Z-live", "--barrier", str(barrier))
    wait_for([barrier / "ready-20260101T000001Z-live"])
    staged = sorted((out / "_staging" / "20260101T000001Z-live").rglob("*.parquet"))
    assert staged
    other = json.loads(run_once(tmp_path / "b", out, "20260101T000002Z-other"))
    assert other["swept"] == {} and all(p.exists() for p in staged)
    (barrier / "go").touch()
    code, stdout, stderr = finish(live)
    assert code == 0, stderr[-2000:]
    assert json.loads(stdout.strip().splitlines()[-1])["written"] == 6
    assert _leftovers(out) == []


def test_a_failed_run_removes_its_staging(tmp_path):
    make_corpus(tmp_path / "in", articles=3, seed=24)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), commits.staging(out, "20260101T000001Z-fails") as folder:
        runner.process_batch(inputs.discover([tmp_path / "in"]), folder, 0)
        assert any(folder.rglob("*.parquet"))
        raise RuntimeError("the run fails after staging")
    assert not (out / "_staging").exists()
