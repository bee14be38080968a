"""The crawler against a hostile web and against itself (issue 12, items 4, 7, 8, 9): real HTTP servers on
127.0.0.1, real crawl processes, real SIGKILL."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper import CrawlConfig, SiteSource, crawl
from scraper.state import SEEN_SCHEMA
from scraper.urls import address_policy, normalize
from tests.fixture_site import (
    FEED_ETAG,
    FEED_MODIFIED_LATER,
    PAGE_ETAG,
    PAGE_MODIFIED,
    FixtureSite,
    brotli_bomb,
)

ROOT = Path(__file__).resolve().parent.parent
# A crawl child's own memory (interpreter, httpx, pyarrow, lxml) is ~120 MiB; a bomb page decoded
# without a cap costs 512 MiB and more. The bound is generous: a third of the unbounded cost.
MAX_CHILD_RSS_MIB = 320


def config(raw: Path, **overrides: object) -> CrawlConfig:
    settings: dict[str, object] = {
        "raw_dir": raw, "allow_addresses": "loopback", "delay_seconds": 0.0, "timeout_seconds": 2.0, "retries": 1,
        "backoff_base_seconds": 0.05, "retry_base_seconds": 0.0}
    settings.update(overrides)
    return CrawlConfig(**settings)  # type: ignore[arg-type]


def state_rows(raw: Path) -> list[dict]:
    table = ds.dataset(raw / "_state" / "fetched", format="parquet", schema=SEEN_SCHEMA).to_table()
    return table.sort_by("fetched_at").to_pylist()


def last_row(raw: Path, url: str) -> dict:
    return [r for r in state_rows(raw) if r["url"] == normalize(url)][-1]


def warc_records(path: str | Path) -> list[tuple[str, str | None, str | None]]:
    with open(path, "rb") as stream:
        return [(r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers.get_header("WARC-Truncated"),
                 r.http_headers.get_statuscode() if r.http_headers else None) for r in ArchiveIterator(stream)]


def child(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, seconds: float = 30.0) -> None:
    until = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < until, "timed out waiting"
        time.sleep(0.05)


# --- item 4: run ids ------------------------------------------------------------------------------

SAME_SECOND_CRAWL = """
import sys, time
from pathlib import Path
from scraper import CrawlConfig, crawl
raw, url = sys.argv[1], sys.argv[2]
print("ready", flush=True)
start = float(sys.stdin.readline())
time.sleep(max(0.0, start - time.time()))
second = int(time.time())
report = crawl(CrawlConfig(raw_dir=Path(raw), urls=(url,), allow_addresses="loopback", delay_seconds=0.0,
                           respect_robots=False))
print(second, report.run_id, report.fetched, flush=True)
"""


def test_two_crawls_started_in_the_same_second_keep_both_warcs_and_their_state(tmp_path):
    raw = tmp_path / "raw"
    with FixtureSite(crawl_delay=0.0) as site:
        pages = {site.url("/news/a.html"), site.url("/news/b.html")}
        procs = [child(SAME_SECOND_CRAWL, str(raw), url) for url in sorted(pages)]
        for proc in procs:  # both imported and waiting: they start together, just past a whole second
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        start = int(time.time()) + 1.05
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(f"{start}\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=60) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    seconds, run_ids, fetched = zip(*(out.split() for out, _ in outputs), strict=True)
    assert seconds[0] == seconds[1] and fetched == ("1", "1")  # the premise: the same second
    assert run_ids[0] != run_ids[1]
    warcs = sorted((raw / "warc").glob("crawl-*.warc.gz"))
    assert len(warcs) == 2
    assert {url for path in warcs for url, _, _ in warc_records(path)} == pages
    assert {r["url"] for r in state_rows(raw)} == pages


# --- item 7: bounded in memory and time, fair between hosts, robots.txt once ----------------------

BOMB_CRAWL = """
import json, sys
from pathlib import Path
from dataset import inputs
from scraper import CrawlConfig, SiteSource, crawl
raw, feed, page = sys.argv[1:4]
report = crawl(CrawlConfig(raw_dir=Path(raw), sites=(SiteSource(name="bomb", feeds=(feed,)),), urls=(page,),
                           allow_addresses="loopback", delay_seconds=0.0, respect_robots=False))
unreadable = []
for ref in inputs.discover([report.warc]):
    try:
        inputs.read(ref)
    except inputs.UnreadableInput as exc:
        unreadable.append(str(exc))
# VmHWM is this process's own peak: getrusage's ru_maxrss also keeps the peak of the parent (pytest)
# whose memory the child had before exec
peak_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"errors": report.errors, "fetched": report.fetched, "unreadable": unreadable,
                  "max_rss_mib": peak_kib / 1024}))
"""


def test_a_brotli_bomb_is_cut_at_the_page_cap_without_the_memory(tmp_path):
    bomb = brotli_bomb()
    assert len(bomb) < 2048  # about 1 KB on the wire for 512 MiB decoded
    with FixtureSite(crawl_delay=0.0) as site:
        proc = child(BOMB_CRAWL, str(tmp_path / "raw"), site.url("/bomb-feed.xml"), site.url("/bomb.html"))
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result = json.loads(out)
    print(f"crawl child with a brotli bomb: peak RSS {result['max_rss_mib']:.0f} MiB")  # seen with -s
    # the feed (decoded by the crawler) and the page (decoded when cleaned) are refused, with the reason
    assert result["errors"] == {"unreadable body": 1} and result["fetched"] == 1
    assert len(result["unreadable"]) == 1 and "larger than 10 MiB once decompressed" in result["unreadable"][0]
    assert result["max_rss_mib"] < MAX_CHILD_RSS_MIB, result


def test_every_request_and_every_url_has_a_deadline(tmp_path):
    raw = tmp_path / "raw"
    # the drip sends a byte every 0.5 s, under the 2 s read timeout: only a deadline ends it; the slow
    # page behind a redirect answers in 4 s, under the read timeout too
    with FixtureSite(crawl_delay=0.0, drip_seconds=0.5, drip_total=15.0, slow_seconds=4.0) as site:
        drip, hop = site.url("/drip.html"), site.url("/redirect?to=/slow/1.html")
        started = time.monotonic()
        report = crawl(config(raw, urls=(drip, hop), respect_robots=False, timeout_seconds=5.0,
                              deadline_seconds=1.0, url_deadline_seconds=2.0))
        elapsed = time.monotonic() - started
    assert elapsed < 8.0  # two URLs of 2 s each at most, one host at a time; without a deadline: 15 s
    assert report.errors == {"deadline": 2}
    assert last_row(raw, drip)["error"] == "truncated (time)"
    assert last_row(raw, hop)["error"].startswith("deadline: no response within")
    assert (drip, "time", "200") in warc_records(report.warc)


def test_a_slow_host_does_not_hold_back_a_fast_one(tmp_path):
    with FixtureSite(crawl_delay=0.0, slow_seconds=0.2) as slow, FixtureSite(crawl_delay=0.0) as fast:
        urls = [slow.url(f"/slow/{i}.html") for i in range(20)] + [fast.url(f"/news/p{i}.html") for i in range(5)]
        report = crawl(config(tmp_path / "raw", urls=tuple(urls)))
    assert report.fetched == 25
    slow_pages = sorted(t for path, hits in slow.hits.items() if path.startswith("/slow/") for t in hits)
    fast_pages = [t for path, hits in fast.hits.items() if path.startswith("/news/") for t in hits]
    # with the global slots taken before the host's turn, the fast host waited for 5 slow pages
    assert max(fast_pages) < slow_pages[2]
    assert len(slow.hits["/robots.txt"]) == len(fast.hits["/robots.txt"]) == 1


def test_robots_txt_is_fetched_once_per_host_however_many_pages_ask_at_once(tmp_path):
    with FixtureSite(crawl_delay=0.0) as site:
        report = crawl(config(tmp_path / "raw", urls=tuple(site.url(f"/news/p{i}.html") for i in range(16))))
    assert report.fetched == 16
    assert len(site.hits["/robots.txt"]) == 1


# --- item 8: the crawler's own state --------------------------------------------------------------

def test_a_304_keeps_the_validators_and_the_page_settled(tmp_path):
    raw = tmp_path / "raw"
    with FixtureSite(crawl_delay=0.0) as site:
        page = site.url("/news/v.html")
        source = SiteSource(name="cond", feeds=(site.url("/cond-feed.xml"),))
        crawl(config(raw, sites=(source,), urls=(page,)))
        refetched = crawl(config(raw, sites=(source,), urls=(page,), refetch=True))
        after = crawl(config(raw, sites=(source,), urls=(page,)))
        again = crawl(config(raw, sites=(source,), urls=(page,)))
    assert refetched.not_modified == 1
    # the normal run after the --refetch run does not download the page again
    assert len(site.hits["/news/v.html"]) == 2 and after.skipped_seen == again.skipped_seen == 1
    row = last_row(raw, page)
    assert (row["status"], row["etag"], row["last_modified"]) == (304, PAGE_ETAG, PAGE_MODIFIED)
    # the feed is asked conditionally every run after the first, with the newer Last-Modified of its 304
    feed = site.headers_seen["/cond-feed.xml"]
    assert [h.get("If-None-Match") for h in feed] == [None, FEED_ETAG, FEED_ETAG, FEED_ETAG]
    assert feed[-1].get("If-Modified-Since") == FEED_MODIFIED_LATER
    assert [r["status"] for r in state_rows(raw) if r["kind"] == "feed"] == [200, 304, 304, 304]


def test_failed_pages_are_retried_from_the_state_with_backoff_and_a_limit(tmp_path):
    raw = tmp_path / "raw"
    with FixtureSite(crawl_delay=0.0, flaky_failures=2) as site:
        source = SiteSource(name="s", sitemaps=(site.url("/cond-sitemap.xml"),))
        first = crawl(config(raw, sites=(source,), max_failures=2))
        second = crawl(config(raw, sites=(source,), max_failures=2))  # the sitemap answers 304: no URLs
        third = crawl(config(raw, sites=(source,), max_failures=2))
    # /flaky/a.html: 500 twice in the first run, 200 in the second, retried from the state alone
    assert len(site.hits["/flaky/a.html"]) == 3 and last_row(raw, site.url("/flaky/a.html"))["status"] == 200
    assert first.errors["HTTP 500"] == 2 and second.errors["HTTP 500"] == 1  # 5xx after retries are errors
    assert second.discovered == 0 and second.retried == 2
    # /error.html failed two runs in a row: given up (max_failures=2), not requested in the third run
    assert len(site.hits["/error.html"]) == 4 and third.gave_up == 1 and third.retried == 0
    assert last_row(raw, site.url("/error.html"))["failures"] == 2


def test_a_failed_page_waits_out_its_backoff(tmp_path):
    raw = tmp_path / "raw"
    with FixtureSite(crawl_delay=0.0) as site:
        page = site.url("/error.html")
        crawl(config(raw, urls=(page,), retry_base_seconds=3600.0))
        later = crawl(config(raw, urls=(page,), retry_base_seconds=3600.0))
    assert len(site.hits["/error.html"]) == 2 and later.backing_off == 1  # one run, two attempts
    row = last_row(raw, page)
    assert row["failures"] == 1 and 3590 < (row["retry_at"] - row["fetched_at"]).total_seconds() <= 3600


def test_state_files_from_before_the_retry_columns_still_load(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from scraper import state

    old = SEEN_SCHEMA.remove(SEEN_SCHEMA.get_field_index("failures"))
    old = old.remove(old.get_field_index("retry_at"))
    folder = state.folder(tmp_path)
    folder.mkdir(parents=True)
    rows = [{"url": "https://x.vn/a", "kind": "page", "status": 500, "fetched_at": pa.scalar(0, pa.timestamp("us", tz="UTC")).as_py()}]
    pq.write_table(pa.Table.from_pylist(rows, schema=old), folder / "part-old.parquet")
    seen = state.load(tmp_path)["https://x.vn/a"]
    assert seen.failed_runs == 1 and seen.retry_at is None and not seen.settled


def test_a_loopback_address_is_refused_as_an_address_before_robots_txt(tmp_path):
    raw = tmp_path / "raw"
    with FixtureSite(crawl_delay=0.0) as site:
        report = crawl(config(raw, allow_addresses="", urls=(site.url("/news/a.html"),)))
    assert dict(report.refused) == {"address": 1} and not site.hits
    assert "127.0.0.1 is a loopback address" in last_row(raw, site.url("/news/a.html"))["error"]


# --- item 9: the address switch -------------------------------------------------------------------

def test_loopback_switch_refuses_metadata_and_private_redirect_targets(tmp_path):
    raw = tmp_path / "raw"
    with FixtureSite(crawl_delay=0.0) as site:
        to_metadata = site.url("/redirect?to=http://169.254.169.254/latest/meta-data/")
        to_private = site.url("/redirect?to=http://10.0.0.1/admin")
        loopback = crawl(config(raw / "loopback", urls=(to_metadata, to_private)))
        private = crawl(config(raw / "private", urls=(to_metadata,), allow_addresses="private"))
        port = site.server.server_address[1]
        other = f"http://127.0.0.2:{port}/news/b.html"
        named = crawl(config(raw / "named", urls=(site.url("/news/a.html"), other), allow_addresses="127.0.0.1"))
    assert loopback.refused["address"] == 2 and loopback.fetched == 0
    metadata = "169.254.169.254 is a link-local or cloud metadata address"
    assert metadata in last_row(raw / "loopback", to_metadata)["error"]
    assert "10.0.0.1 is a private address" in last_row(raw / "loopback", to_private)["error"]
    # `private` never opens the metadata address
    assert private.refused["address"] == 1 and metadata in last_row(raw / "private", to_metadata)["error"]
    # an address named explicitly is reachable; the rest of loopback is not
    assert named.fetched == 1 and named.refused["address"] == 1
    assert "127.0.0.2 is a loopback address" in last_row(raw / "named", other)["error"]


@pytest.mark.parametrize(("setting", "address", "allowed"), [
    ("", "127.0.0.1", False), ("", "8.8.8.8", True), ("", "224.0.0.1", False),
    ("loopback", "127.0.0.1", True), ("loopback", "::1", True), ("loopback", "10.0.0.1", False),
    ("loopback", "::ffff:127.0.0.1", True), ("loopback", "::ffff:169.254.169.254", False),
    ("private", "10.1.2.3", True), ("private", "192.168.1.1", True), ("private", "127.0.0.1", True),
    ("private", "169.254.169.254", False), ("private", "fd00:ec2::254", False), ("private", "fe80::1", False),
    ("private", "100.100.100.200", False), ("private", "168.63.129.16", False), ("private", "fd12::1", True),
    ("private", "64:ff9b::a9fe:a9fe", False), ("private", "2002:a9fe:a9fe::1", False),
    ("1", "10.1.2.3", True), ("true", "169.254.169.254", False),  # the old switch: private networks only
    ("169.254.169.254", "169.254.169.254", True), ("loopback, 10.0.0.0/8", "10.9.9.9", True),
    ("10.0.0.0/8", "127.0.0.1", False),
])
def test_address_settings(setting, address, allowed):
    assert address_policy(setting).permits(ipaddress.ip_address(address)) is allowed


def test_a_bad_address_setting_fails_early():
    with pytest.raises(ValueError, match="not `loopback`, `private`, an address or a CIDR"):
        CrawlConfig(allow_addresses="loopbak")


# --- leftovers of dead crawls ---------------------------------------------------------------------

LONG_CRAWL = """
import sys
from pathlib import Path
from scraper import CrawlConfig, crawl
crawl(CrawlConfig(raw_dir=Path(sys.argv[1]), urls=(sys.argv[2],), allow_addresses="loopback", delay_seconds=0.0,
                  respect_robots=False))
"""


def test_the_next_crawl_sweeps_what_a_killed_crawl_left_and_not_a_live_one(tmp_path):
    raw = tmp_path / "raw"
    warcs = raw / "warc"
    with FixtureSite(crawl_delay=0.0, drip_seconds=0.2, drip_total=60.0) as site:
        dead = child(LONG_CRAWL, str(raw), site.url("/drip/dead.html"))
        wait_for(lambda: site.hits["/drip/dead.html"] and list(warcs.glob(".crawl-*.tmp")))
        (dead_tmp,) = warcs.glob(".crawl-*.tmp")
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait(timeout=30)
        # what a kill during the state write leaves: the dead run's temporary state part
        dead_run = dead_tmp.name.split(".")[1].removeprefix("crawl-")
        state_tmp = raw / "_state" / "fetched" / f".part-{dead_run}.parquet.{'0' * 32}.tmp"
        state_tmp.parent.mkdir(parents=True, exist_ok=True)
        state_tmp.write_bytes(b"PAR1 half written")
        live = child(LONG_CRAWL, str(raw), site.url("/drip/live.html"))  # the next crawl
        try:
            wait_for(lambda: site.hits["/drip/live.html"])
            (live_tmp,) = warcs.glob(".crawl-*.tmp")
            assert live_tmp != dead_tmp and not state_tmp.exists()  # swept when it started
            live_lock = f"crawl-{live_tmp.name.split('.')[1].removeprefix('crawl-')}.lock"
            assert [p.name for p in (raw / "_state" / "locks").iterdir()] == [live_lock]
            # one more crawl while that one still runs: the running crawl's file is untouched
            report = crawl(config(raw, urls=(site.url("/news/a.html"),)))
            assert report.swept == 0 and report.fetched == 1
            assert live_tmp.exists() and live.poll() is None
            assert [p.name for p in (raw / "_state" / "locks").iterdir()] == [live_lock]
        finally:
            live.kill()
            live.wait(timeout=30)
