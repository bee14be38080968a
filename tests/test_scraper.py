"""The scraper against a real HTTP server on 127.0.0.1: politeness, failures, WARC store, incremental runs."""

import itertools
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from dataset import inputs
from dataset.runner import process_one
from scraper import CrawlConfig, SiteSource, crawl, load_sources
from scraper.discover import parse_feed, parse_sitemap
from scraper.urls import Refusal, address_policy, address_refusal, normalize, scheme_refusal
from tests.fixture_site import FixtureSite


def config(site: FixtureSite, raw: Path, **overrides) -> CrawlConfig:
    source = SiteSource(name="fixture", feeds=(site.url("/feed.xml"),), sitemaps=(site.url("/sitemap_index.xml"),))
    settings = {"raw_dir": raw, "sites": (source,), "allow_addresses": "loopback", "retry_base_seconds": 0.0, "delay_seconds": 0.0,
                "timeout_seconds": 1.0, "retries": 1, "backoff_base_seconds": 0.05, "max_bytes": 200_000}
    settings.update(overrides)
    return CrawlConfig(**settings)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    with FixtureSite(crawl_delay=0.2, slow_seconds=2.5) as site:
        first = crawl(config(site, raw), run_id="r1")
        hits_after_first = {k: len(v) for k, v in site.hits.items()}
        second = crawl(config(site, raw), run_id="r2")
        yield site, raw, first, second, hits_after_first


def records(path):
    with open(path, "rb") as stream:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers.get_header("WARC-Truncated"),
                 r.http_headers.get_statuscode() if r.http_headers else None) for r in ArchiveIterator(stream)]


def test_every_response_is_kept_in_one_warc(crawled):
    _site, raw, first, _, _ = crawled
    assert first.warc == str(raw / "warc" / "crawl-r1.warc.gz")
    kept = records(first.warc)
    by_url = {url.rsplit("/", 1)[1]: (kind, trunc, status) for kind, url, trunc, status in kept}
    assert by_url["a.html"] == ("response", None, "200")
    assert by_url["b.html"] == ("response", None, "200")  # utm_source dropped by normalization
    assert by_url["c.html"] == ("response", None, "200")  # via the sitemap index
    assert by_url["final.html"] == ("response", None, "200")  # after the redirect
    assert by_url["missing.html"][2] == "404" and by_url["error.html"][2] == "500"
    assert by_url["busy.html"][2] == "200"  # retried after 429
    assert by_url["truncated.html"][1] == "disconnect"
    assert by_url["huge.html"][1] == "length"
    assert "secret.html" not in by_url and "slow.html" not in by_url
    assert first.refused["robots.txt"] == 1 and first.errors["timeout"] == 1
    assert not list((raw / "warc").glob("*.tmp"))


def test_robots_crawl_delay_and_one_request_at_a_time(crawled):
    site, *_ = crawled
    assert site.max_active == 1
    times = sorted(t for path, hits in site.hits.items() for t in hits)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Crawl-delay: 0.2 from robots.txt, though the config asked for none. Gaps are measured at the server:
    # a request that had to open a connection arrives later than one reusing it, by up to ~25 ms on a
    # loaded 2-core machine (0.19 failed 3 runs out of 3 on main there), hence the slack.
    assert min(gaps) >= 0.15


def test_retry_after_is_honored(crawled):
    site, *_ = crawled
    first_try, retry = site.hits["/busy.html"][:2]
    assert retry - first_try >= 0.99


def test_second_run_fetches_only_what_is_new_and_asks_conditionally(crawled):
    site, _raw, _, second, before = crawled
    # settled pages are skipped; the 500, the cut-off body and the timeout are tried again
    assert second.skipped_seen == 10
    assert len(site.hits["/error.html"]) - before["/error.html"] >= 1
    assert len(site.hits["/truncated.html"]) - before["/truncated.html"] >= 1
    assert site.hits["/news/a.html"][before["/news/a.html"]:] == []  # seen: not fetched again
    feed_headers = site.headers_seen["/feed.xml"]
    assert len(feed_headers) == 2  # feeds are read every run


def test_refetch_uses_conditional_get_and_records_a_revisit(tmp_path):
    with FixtureSite(crawl_delay=0.0) as site:
        cfg = config(site, tmp_path, sites=(), urls=(site.url("/news/a.html"),))
        crawl(cfg, run_id="r1")
        report = crawl(config(site, tmp_path, sites=(), urls=(site.url("/news/a.html"),), refetch=True), run_id="r2")
        assert site.headers_seen["/news/a.html"][-1].get("If-None-Match") == '"v1"'
        assert report.not_modified == 1
        assert records(report.warc)[-1][0] == "revisit"


def test_crawled_pages_clean_and_bad_ones_are_rejected(crawled):
    _, _raw, first, _, _ = crawled
    refs = inputs.discover([first.warc])
    outcomes = {inputs.read(r).url.rsplit("/", 1)[1]: process_one(r) for r in refs}
    for name in ("a.html", "b.html", "c.html", "final.html", "busy.html", "gzip.html", "brotli.html", "latin1.html"):
        assert not hasattr(outcomes[name], "reason"), (name, outcomes[name])
    assert outcomes["latin1.html"].title == "Giá vàng tăng"  # UTF-8 despite the header
    assert outcomes["truncated.html"].reason == "unreadable" and "truncated" in outcomes["truncated.html"].message
    assert outcomes["missing.html"].reason == "unreadable" and "404" in outcomes["missing.html"].message
    assert "robots.txt" not in outcomes and "feed.xml" not in outcomes  # crawler records are not pages


def test_private_addresses_are_refused_by_default(tmp_path):
    with FixtureSite() as site:
        report = crawl(CrawlConfig(raw_dir=tmp_path, urls=(site.url("/news/a.html"),), respect_robots=False))
        assert report.fetched == 0 and dict(report.refused) == {"address": 1} and not site.hits
    assert scheme_refusal("file:///etc/passwd") == Refusal("scheme", "scheme 'file' is not http(s)")
    refused = address_refusal("localhost", ["127.0.0.1"], address_policy(""))
    assert refused is not None and refused.kind == "address" and "127.0.0.1 is a loopback address" in refused.message


def test_url_normalization_and_parsers():
    assert normalize("https://VnExpress.net/a.html?utm_source=x#top") == "https://vnexpress.net/a.html"
    assert normalize("javascript:void(0)") is None
    atom = b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><link rel='alternate' href='/a.html'/></entry></feed>"
    assert parse_feed(atom, "https://x.vn/") == ["https://x.vn/a.html"]
    assert parse_sitemap(b"<urlset><url><loc>https://x.vn/b</loc></url></urlset>", "https://x.vn/") == (["https://x.vn/b"], [])
    bomb = b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;'>]><rss><item><link>&b;</link></item></rss>"
    assert parse_feed(bomb, "https://x.vn/") in ([], ["https://x.vn/"])  # entities are not expanded


def test_sources_file(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[[site]]\nname = "vnexpress"\nfeeds = ["https://vnexpress.net/rss/tin-moi-nhat.rss"]\n'
                    'allow = ["\\\\.html$"]\nmax_pages = 50\n', encoding="utf-8")
    (site,) = load_sources(path)
    assert site.name == "vnexpress" and site.max_pages == 50 and site.allow == ("\\.html$",)
    path.write_text('[[site]]\nname = "x"\nfeed = ["typo"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        load_sources(path)
