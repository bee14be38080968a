"""Two runs at once on one dataset equal the same runs one after the other: rows, rejects, votes, bands.

Each run is a real child process (tests/dataset/child.py: discover, clean, commit, as the flows do);
both clean first, then commit at the same moment (a barrier), so their commits really overlap.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.dataset.corpus import make_corpus
from tests.dataset.snapshot import finish, run_child, run_once, snapshot, wait_for


def _together(sources: list[Path], out: Path, barrier: Path) -> list[dict]:
    """Run one child per source on `out`, their commits started together; their results in start order."""
    barrier.mkdir()
    ids = [f"20260101T00000{k}Z-together" for k in range(len(sources))]
    children = [run_child(source, out, run_id, "--barrier", str(barrier)) for source, run_id in zip(sources, ids, strict=True)]
    wait_for([barrier / f"ready-{run_id}" for run_id in ids])
    (barrier / "go").touch()
    results = []
    for child in children:
        code, stdout, stderr = finish(child)
        assert code == 0, stderr[-3000:]
        results.append({**json.loads(stdout.strip().splitlines()[-1]), "log": stderr})
    return results


def test_two_runs_of_the_same_inputs_at_once_write_each_row_once(tmp_path):
    inputs = tmp_path / "inputs"
    pages = make_corpus(inputs, articles=24, seed=1, copies=3)
    together = tmp_path / "together"
    first, second = sorted(_together([inputs, inputs], together, tmp_path / "barrier"), key=lambda r: r["ended"])
    assert first["written"] == 24 and second["written"] == 0 and second["unchanged"] == 24
    assert "waiting" in second["log"]  # the run that waited for the other's commit says so

    one_by_one = tmp_path / "one_by_one"
    run_once(inputs, one_by_one, "20260101T000010Z-a")
    run_once(inputs, one_by_one, "20260101T000011Z-b")
    expected = snapshot(one_by_one)
    assert len(expected.rows) == 24 and len({r[0] for r in expected.rows}) == 24
    assert len(expected.rejects) == len(pages) - 24  # the copies and the two unreadable inputs, once each
    assert snapshot(together) == expected


def test_two_runs_of_different_inputs_at_once_keep_every_vote(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    make_corpus(a, articles=12, seed=2, copies=2)
    make_corpus(b, articles=12, seed=3, copies=2)
    together = tmp_path / "together"
    results = _together([a, b], together, tmp_path / "barrier")
    order = [source for _, source in sorted(zip([r["ended"] for r in results], [a, b], strict=True))]

    one_by_one = tmp_path / "one_by_one"
    for k, source in enumerate(order):
        run_once(source, one_by_one, f"20260101T00002{k}Z-seq")
    expected = snapshot(one_by_one)
    # each site's footer is on 8 pages of the two runs: 8 votes, and boilerplate in the later run's rows
    assert {n for site, _, n in expected.votes if n > 1} == {8}
    assert snapshot(together) == expected
    shutil.rmtree(together)
