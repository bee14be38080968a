"""The Prefect flow end to end on a real (temporary) Prefect server, read back with pyarrow, DuckDB, polars, pandas."""

import shutil

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest

from dataset.store import CLEAN_SCHEMA, read_rejects
from flows.pipeline import clean_pipeline
from tests.conftest import HTML, SEEDS
from tests.helpers import article_html, write_warc

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "raw"
    shutil.copytree(SEEDS, folder / "seeds")
    shutil.copytree(HTML, folder / "html")
    write_warc(folder / "crawl.warc.gz", [
        ("https://example.vn/tin-1.html", article_html("Tin một về giá vàng", "https://example.vn/tin-1.html").encode(),
         "text/html; charset=utf-8", "200 OK"),
        ("https://example.vn/gone.html", b"gone", "text/html", "410 Gone"),
    ])
    (folder / "binary.html").write_bytes(bytes(range(256)) * 4)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    return folder


def test_flow_cleans_everything_and_rerun_adds_nothing(inputs, tmp_path):
    out = tmp_path / "clean"
    summary = clean_pipeline(source_list=[str(inputs)], out=str(out), batch_size=3)
    # 5 seeds + 4 HTML pages + 1 WARC page are articles; the rest are rejected with reasons
    assert summary["inputs"] == 14
    assert summary["kept"] == summary["written"] == 10
    assert summary["rejected"] == {"unreadable": 3, "empty": 1}
    assert summary["removed"]["related_headline"] > 0

    table = ds.dataset(out, format="parquet", partitioning="hive", schema=CLEAN_SCHEMA).to_table()
    assert table.num_rows == 10
    assert set(table.column("site").to_pylist()) == {"baodautu.vn", "dantri.com.vn", "tuoitre.vn", "vnexpress.net",
                                                    "example.vn", "unknown"}
    rejects = read_rejects(out).to_pylist()
    assert {r["raw_ref"].rsplit("/", 1)[1].split("#")[0] for r in rejects} == {
        "crawl.warc.gz", "binary.html", "empty.txt", "notes.docx"}
    assert all(r["reason"] and r["message"] for r in rejects)

    con = duckdb.connect()
    glob = f"{out}/site=*/*.parquet"
    rows = con.execute(f"SELECT site, count(*) FROM read_parquet('{glob}', hive_partitioning=true) GROUP BY site").fetchall()
    assert sum(n for _, n in rows) == 10
    assert con.execute(f"SELECT count(*) FROM read_parquet('{glob}') WHERE len(paragraphs) > 0").fetchone() == (10,)
    assert pl.scan_parquet(glob, hive_partitioning=True).collect().height == 10
    assert len(pd.read_parquet(out)) == 10

    again = clean_pipeline(source_list=[str(inputs)], out=str(out), batch_size=5)
    assert again["written"] == 0 and again["unchanged"] == 10
    assert ds.dataset(out, format="parquet", partitioning="hive").count_rows() == 10
    assert len(read_rejects(out)) == len(rejects)


def test_crawl_and_clean_flow_against_a_local_site(tmp_path, monkeypatch):
    from flows.params import CrawlParams
    from flows.pipeline import crawl_and_clean
    from tests.fixture_site import FixtureSite

    with FixtureSite(crawl_delay=0.0) as site:
        urls = [site.url(p) for p in ("/news/a.html", "/news/b.html", "/missing.html", "/private/secret.html")]
        params = CrawlParams(sources_file=None, urls=urls, raw_dir=str(tmp_path / "raw"), out=str(tmp_path / "clean"),
                             delay_seconds=0.0)
        monkeypatch.setenv("TINSACH_ALLOW_PRIVATE_HOSTS", "loopback")  # the fixture site is on 127.0.0.1
        monkeypatch.setenv("TINSACH_DATA_ROOTS", str(tmp_path))  # the flow's paths are confined to its roots
        result = crawl_and_clean(params)
    assert result["crawl"]["fetched"] == 3 and result["crawl"]["refused"] == {"robots.txt": 1}
    assert result["clean"]["written"] == 2 and result["clean"]["rejected"] == {"unreadable": 1}
    table = ds.dataset(tmp_path / "clean", format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("title").to_pylist()) == ["Tin /news/b.html", "Tin A hôm nay"]
    assert all(ref.startswith(str(tmp_path / "raw" / "warc")) for ref in table.column("raw_ref").to_pylist())


def test_worker_processes_and_a_local_dask_cluster_give_the_same_rows_as_threads(tmp_path):
    from flows.pipeline import task_runner

    outputs = []
    for kind in ("threads", "processes", "dask"):
        out = tmp_path / kind
        flow = clean_pipeline.with_options(task_runner=task_runner(kind, workers=2))
        summary = flow(source_list=[str(SEEDS), str(HTML)], out=str(out), batch_size=2,
                       processes=2 if kind == "processes" else 0)
        assert summary["written"] == 9
        table = ds.dataset(out, format="parquet", partitioning="hive").to_table().sort_by("doc_id")
        outputs.append(table.select(["doc_id", "site", "title", "text", "published", "author", "paragraph_hashes"]))
    assert outputs[0].equals(outputs[1]) and outputs[0].equals(outputs[2])


def test_a_long_run_commits_in_groups_and_writes_the_same_rows(tmp_path, monkeypatch):
    import flows.pipeline as pipeline

    columns = ["doc_id", "site", "title", "text", "published", "paragraph_hashes"]
    whole = clean_pipeline(source_list=[str(SEEDS), str(HTML)], out=str(tmp_path / "whole"), batch_size=2)
    monkeypatch.setattr(pipeline, "COMMIT_EVERY_INPUTS", 4)  # 2 batches a group: 5 group commits
    grouped = clean_pipeline(source_list=[str(SEEDS), str(HTML)], out=str(tmp_path / "grouped"), batch_size=2)
    assert grouped["written"] == whole["written"] == 9 and grouped["inputs"] == 9
    files = list((tmp_path / "grouped").glob("site=*/part-*.parquet"))
    groups = {tuple(p.name.removesuffix(".parquet").rsplit("-", 1)) for p in files}  # (run id, group number)
    assert len({run for run, _ in groups}) == 1 and len({n for _, n in groups}) > 1
    assert len(files) > len(list((tmp_path / "whole").glob("site=*/*.parquet")))
    tables = [ds.dataset(tmp_path / name, format="parquet", partitioning="hive").to_table().sort_by("doc_id").select(columns)
              for name in ("whole", "grouped")]
    assert tables[0].equals(tables[1])
    assert not (tmp_path / "grouped" / "_staging").exists()  # every group's staging is gone
