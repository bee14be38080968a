"""The dataset's derived state heals itself: whatever was deleted, truncated or dropped beside the data,
the next commit checks the state against the data files, rebuilds what disagrees, moves damaged data
files to `_quarantine/` with the reason, ignores files that are not Parquet, and never fails for it."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dataset import inputs, runner
from dataset.commit import commit
from tests.dataset.corpus import FOOTER, make_corpus, page, paragraphs
from tests.dataset.snapshot import snapshot


def run(source: Path, out: Path, run_id: str) -> dict:
    """Discover, clean and commit `source` in this process (the flows' sequence without Prefect)."""
    refs = inputs.discover([source])
    staged = [runner.process_batch(refs[i : i + 10], out / "_staging" / run_id, i) for i in range(0, len(refs), 10)]
    return commit([Path(s.clean_path) for s in staged if s.clean_path],
                  [Path(s.rejects_path) for s in staged if s.rejects_path], out, run_id)


def footer_site(folder: Path, names: list[str], seed: int = 5) -> None:
    """Pages of baomau.vn that share its footer (three make it boilerplate)."""
    import random

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        body = [*paragraphs(rng), FOOTER.format(site="baomau.vn")]
        (folder / f"{name}.html").write_text(page(f"https://baomau.vn/{name}.html", f"Bài {name}", body), encoding="utf-8")


def test_a_deleted_data_file_does_not_make_its_rows_vote_twice(tmp_path):
    footer_site(tmp_path / "in", ["a", "b"])
    reference = tmp_path / "reference"
    run(tmp_path / "in", reference, "r1")
    out = tmp_path / "out"
    run(tmp_path / "in", out, "r1")
    (data,) = (out / "site=baomau.vn").glob("*.parquet")
    data.unlink()  # the footer is on 2 pages: re-running them must not make it 4 votes (boilerplate at 3)
    assert run(tmp_path / "in", out, "r2")["written"] == 2
    assert snapshot(out) == snapshot(reference)
    assert all(FOOTER.format(site="baomau.vn") in t for t in pq.read_table(next((out / "site=baomau.vn").glob("*.parquet"))).column("text").to_pylist())


def test_deleted_lsh_bands_are_rebuilt_and_near_duplicates_still_found(tmp_path):
    make_corpus(tmp_path / "originals", articles=30, seed=7, rejects=False)
    out = tmp_path / "out"
    run(tmp_path / "originals", out, "r1")
    for path in (out / "_state" / "lsh_bands").rglob("*.parquet"):
        path.unlink()
    copies = tmp_path / "copies"
    copies.mkdir()
    for path in sorted((tmp_path / "originals").glob("*.html")):  # each original with one word edited
        html = path.read_text(encoding="utf-8").replace(".html'", "-copy.html'", 1)  # another URL
        start = html.index("<p>") + 3
        end = html.index(" ", start)
        (copies / path.name).write_text(html[:start] + "Hômnay" + html[end:], encoding="utf-8")
    result = run(copies, out, "r2")
    assert result["written"] == 0 and result["dedup"]["near_duplicates"] == 30


def test_a_deleted_site_count_file_keeps_its_votes(tmp_path):
    footer_site(tmp_path / "in", ["a", "b"])
    out = tmp_path / "out"
    run(tmp_path / "in", out, "r1")
    shutil.rmtree(out / "_state" / "paragraph_counts" / "site=baomau.vn")
    footer_site(tmp_path / "third", ["c"], seed=6)
    assert run(tmp_path / "third", out, "r2")["dedup"]["boilerplate_paragraphs"] == 1  # 2 earlier votes + 1


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE = {
    "truncated counts": lambda out: _truncate(next((out / "_state" / "paragraph_counts").rglob("*.parquet"))),
    "truncated bands": lambda out: _truncate(next((out / "_state" / "lsh_bands").rglob("*.parquet"))),
    "junk state file": lambda out: (out / "_state" / "notes.parquet").write_text("not parquet"),
    "junk parquet in a site folder": lambda out: (out / "site=baomau.vn" / "notes.parquet").write_text("junk"),
    "other Parquet in a site folder": lambda out: pq.write_table(
        __import__("pyarrow").table({"x": [1, 2]}), out / "site=tinmau.vn" / "extra.parquet"),
    "junk parquet at the root": lambda out: (out / "notes.parquet").write_text("junk"),
    "README.txt in a site folder": lambda out: (out / "site=baomau.vn" / "README.txt").write_text("hello"),
    "NOTES.md at the root": lambda out: (out / "NOTES.md").write_text("# notes"),
    "the whole state": lambda out: shutil.rmtree(out / "_state"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damage_beside_the_data_never_fails_a_commit(tmp_path, damage):
    make_corpus(tmp_path / "first", articles=9, seed=11, copies=1)
    make_corpus(tmp_path / "second", articles=9, seed=12, copies=1)
    reference = tmp_path / "reference"
    run(tmp_path / "first", reference, "r1")
    run(tmp_path / "second", reference, "r2")
    out = tmp_path / "out"
    run(tmp_path / "first", out, "r1")
    DAMAGE[damage](out)
    result = run(tmp_path / "second", out, "r2")
    healed, expected = snapshot(out), snapshot(reference)
    assert (healed.rows, healed.rejects, healed.votes) == (expected.rows, expected.rejects, expected.votes)
    if "bands" in damage or "whole state" in damage:
        # lost bands are recomputed from the stored text, where the commit had indexed the text before
        # site boilerplate left it: the same documents are indexed, each in every band
        assert Counter((band, doc_id) for band, _, doc_id in healed.bands) == \
            Counter((band, doc_id) for band, _, doc_id in expected.bands)
    else:
        assert healed.bands == expected.bands
    junk_in_site = damage.endswith("in a site folder") and "README" not in damage
    quarantined = result.get("quarantined", [])
    assert len(quarantined) == junk_in_site
    if junk_in_site:
        (entry,) = quarantined
        assert entry["reason"] and Path(entry["moved_to"]).exists() and "_quarantine" in entry["moved_to"]
    # and the commit after that finds nothing more to heal
    assert run(tmp_path / "second", out, "r3").get("quarantined", []) == []


def test_a_damaged_data_file_is_quarantined_and_its_rows_come_back_on_a_rerun(tmp_path):
    make_corpus(tmp_path / "first", articles=9, seed=13)
    reference = tmp_path / "reference"
    run(tmp_path / "first", reference, "r1")
    out = tmp_path / "out"
    run(tmp_path / "first", out, "r1")
    damaged = next((out / "site=baokhac.vn").glob("*.parquet"))
    _truncate(damaged)
    make_corpus(tmp_path / "none", articles=0, seed=14, rejects=False)
    result = run(tmp_path / "none", out, "r2")  # nothing new: the commit still checks and heals
    (entry,) = result["quarantined"]
    assert entry["path"].endswith(damaged.name) and "Parquet" in entry["reason"]
    assert not damaged.exists() and Path(entry["moved_to"]).exists()
    assert run(tmp_path / "first", out, "r3")["written"] == 3  # its three rows are written again
    assert snapshot(out) == snapshot(reference)
