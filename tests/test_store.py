from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dataset import store
from dataset.commit import commit
from dataset.runner import process_batch
from tests.helpers import article_html


def make_inputs(folder: Path, pages: dict[str, tuple]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, url, *body) in pages.items():
        (folder / name).write_text(article_html(title, url, body=body[0] if body else 0), encoding="utf-8")
    return [str(folder / name) for name in sorted(pages)]


def run(refs, out, run_id):
    staged = process_batch(refs, out / "_staging" / run_id, 0)
    clean = [Path(staged.clean_path)] if staged.clean_path else []
    rejects = [Path(staged.rejects_path)] if staged.rejects_path else []
    return commit(clean, rejects, out, run_id)


def test_rerun_adds_no_rows_and_no_rejects(tmp_path):
    refs = make_inputs(tmp_path / "in", {"a.html": ("Tin A về giá vàng", "https://a.vn/1", 0),
                                         "b.html": ("Tin B về hoa", "https://b.vn/2", 1)})
    refs.append(str(tmp_path / "in" / "missing.html"))
    out = tmp_path / "clean"
    first = run(refs, out, "r1")
    assert first["written"] == 2 and first["rejects_written"] == 1
    second = run(refs, out, "r2")
    assert (second["written"], second["unchanged"], second["rejected"], second["rejects_written"]) == (0, 2, {}, 0)
    assert store.read_clean(out).num_rows == 2
    assert store.read_rejects(out).num_rows == 1
    assert not (out / "_staging").exists()


def test_same_url_twice_in_a_run_is_a_duplicate_reject(tmp_path):
    refs = make_inputs(tmp_path / "in", {"a.html": ("Tin A về giá vàng", "https://a.vn/1"),
                                         "copy.html": ("Tin A về giá vàng", "https://a.vn/1")})
    out = tmp_path / "clean"
    result = run(refs, out, "r1")
    assert result["written"] == 1 and result["rejected"] == {"duplicate": 1}
    rejects = store.read_rejects(out).to_pylist()
    kept = store.read_clean(out).to_pylist()[0]
    assert rejects[0]["reason"] == "duplicate" and rejects[0]["duplicate_of"] == kept["doc_id"]


def test_same_text_under_another_url_is_a_duplicate_whichever_comes_first(tmp_path):
    pages = {"a.html": ("Tin giá vàng", "https://a.vn/1"), "b.html": ("Tin giá vàng", "https://b.vn/9")}
    kept = []
    for order in (sorted(pages), sorted(pages, reverse=True)):
        out = tmp_path / f"clean-{order[0]}"
        refs = make_inputs(tmp_path / "in", pages)
        refs = [r for name in order for r in refs if r.endswith(name)]
        run(refs, out, "r1")
        kept.append(store.read_clean(out).column("url").to_pylist())
    assert kept[0] == kept[1] and len(kept[0]) == 1  # deterministic: input order does not decide


def test_files_carry_schema_version_and_zstd(tmp_path):
    refs = make_inputs(tmp_path / "in", {"a.html": ("Tin A về giá vàng", "https://a.vn/1")})
    out = tmp_path / "clean"
    run(refs, out, "r1")
    (path,) = out.glob("site=a.vn/*.parquet")
    meta = pq.ParquetFile(path)
    assert meta.schema_arrow.metadata[b"tinsach.schema_version"] == store.SCHEMA_VERSION.encode()
    assert meta.metadata.row_group(0).column(0).compression == "ZSTD"
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize(("site", "expected"), [("dantri.com.vn", "dantri.com.vn"), ("../../etc", "unknown"),
                                                ("", "unknown"), ("a/b", "unknown"), ("Tuoitre.VN", "tuoitre.vn")])
def test_partition_values_are_safe(site, expected):
    assert store.safe_site(site) == expected


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path, monkeypatch):
    import pyarrow as pa

    path = tmp_path / "x.parquet"
    store.write_atomic(pa.table({"a": [1]}), path)

    def disk_full(table, where, **kwargs):  # a write that dies half-way, as on a full disk
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.pq, "write_table", disk_full)
    with pytest.raises(OSError):
        store.write_atomic(pa.table({"a": [2]}), path)
    monkeypatch.undo()
    assert pq.read_table(path).column("a").to_pylist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]
