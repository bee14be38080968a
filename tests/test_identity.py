"""A page's identity (doc_id, url, site): normalized URLs, who may claim a URL, and rejects that keep theirs."""

import io
import socket
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners.api import clean_html
from cleaners.document import Document, make_doc_id
from cleaners.extract import site_of
from dataset import store
from dataset.commit import commit
from dataset.runner import process_batch
from tests.fixture_site import article
from tests.helpers import write_warc

HTML = "text/html; charset=utf-8"


def page(slug: str, canonical: str | None = None) -> bytes:
    """A distinct article page (its text seeded by `slug`), claiming `canonical` when given."""
    html = article(slug, f"Bài {slug}", words=200)
    if canonical:
        html = html.replace("<head>", f"<head><link rel='canonical' href='{canonical}'>")
    return html.encode()


def run(refs: list[str], out: Path, run_id: str) -> dict:
    staged = process_batch(refs, out / "_staging" / run_id, 0)
    return commit([Path(staged.clean_path)] if staged.clean_path else [],
                  [Path(staged.rejects_path)] if staged.rejects_path else [], out, run_id)


def warc_refs(path: Path, pages: list[tuple[str, bytes, str, str]]) -> list[str]:
    from dataset.inputs import discover

    return discover([write_warc(path, pages)])


def doc_id_of(url: str) -> str:
    return Document(url=url).doc_id


# --- item 5: a canonical URL on another site is not the page's identity ---

def test_a_canonical_on_another_site_does_not_take_the_real_pages_identity(tmp_path):
    out = tmp_path / "clean"
    real = "https://vnexpress.net/real.html"
    evil = warc_refs(tmp_path / "evil.warc.gz", [("https://evil.example.vn/x", page("evil", real), HTML, "200 OK")])
    assert run(evil, out, "r1")["written"] == 1
    (row,) = store.read_clean(out).to_pylist()
    assert row["url"] == "https://evil.example.vn/x" and row["site"] == "evil.example.vn"
    assert row["doc_id"] == doc_id_of("https://evil.example.vn/x") != doc_id_of(real)
    assert row["canonical_url"] == real  # the claim is kept, not believed
    assert not (out / "site=vnexpress.net").exists()

    genuine = warc_refs(tmp_path / "real.warc.gz", [(real, page("real", real), HTML, "200 OK")])
    result = run(genuine, out, "r2")
    assert (result["written"], result["unchanged"]) == (1, 0)  # written as new, not skipped as unchanged
    rows = {r["site"]: r for r in store.read_clean(out).to_pylist()}
    assert rows["vnexpress.net"]["doc_id"] == doc_id_of(real) and rows["vnexpress.net"]["url"] == real


def test_og_url_on_another_site_is_refused_too():
    html = page("og").decode().replace("<head>", "<head><meta property='og:url' content='https://vnexpress.net/a.html'>")
    doc = clean_html(html, url="https://evil.example.vn/og")
    assert (doc.url, doc.site, doc.canonical_url) == ("https://evil.example.vn/og", "evil.example.vn",
                                                      "https://vnexpress.net/a.html")


@pytest.mark.parametrize("fetched", ["https://m.example.vn/a.html", "https://amp.example.vn/a.html",
                                     "http://example.vn/a.html?utm_source=zalo"])
def test_an_amp_or_mobile_page_of_the_same_publisher_takes_its_canonical(fetched):
    doc = clean_html(page("amp", "https://www.example.vn/a.html"), url=fetched)
    assert doc.url == "https://www.example.vn/a.html" and doc.site == "example.vn"
    assert doc.doc_id == doc_id_of("https://www.example.vn/a.html")


@pytest.mark.parametrize(("fetched", "claimed"), [
    ("https://foo.github.io/a.html", "https://bar.github.io/a.html"),  # a private suffix: different owners
    ("https://tin.blogspot.com/a.html", "https://vnexpress.net/a.html"),
    ("https://baomau.com.vn/a.html", "https://baokhac.com.vn/a.html"),  # under the same public suffix
    ("http://127.0.0.1:8000/a.html", "http://127.0.0.2:8000/a.html"),  # IP literals: the same address only
])
def test_a_claim_across_registered_domains_is_refused(fetched, claimed):
    doc = clean_html(page("claim", claimed), url=fetched)
    assert doc.url == fetched and doc.canonical_url == claimed


def test_local_files_and_pages_without_a_fetched_url_keep_their_canonical():
    for url in ("file:///tmp/a.html", None):
        doc = clean_html(page("local", "https://baomau.vn/goc-1.html?utm_source=fb#top"), url=url)
        assert doc.url == "https://baomau.vn/goc-1.html" and doc.site == "baomau.vn"


# --- item 5: one article, one doc_id; a site for every valid host ---

SAME_ARTICLE = ["HTTPS://VnExpress.net:443/a.html#x", "https://vnexpress.net/a.html?utm_source=fb",
                "https://vnexpress.net./a.html", "https://vnexpress.net/a.html?fbclid=1&gclid=2",
                "https://user:secret@vnexpress.net/a.html", "https://vnexpress.net/a.html"]


def test_one_article_reached_by_several_spellings_has_one_doc_id():
    assert len({doc_id_of(url) for url in SAME_ARTICLE}) == 1
    assert len({clean_html(page("x"), url=url).url for url in SAME_ARTICLE}) == 1


def test_normalized_url_form():
    from cleaners.urls import normalize_url

    assert normalize_url("HTTPS://VnExpress.net:443/a.html#x") == "https://vnexpress.net/a.html"
    assert normalize_url("https://báo.vn/tin-tức.html") == "https://xn--bo-mia.vn/tin-t%E1%BB%A9c.html"
    assert normalize_url("https://xn--bo-mia.vn/tin-t%e1%bb%a9c.html") == "https://xn--bo-mia.vn/tin-t%E1%BB%A9c.html"
    assert normalize_url("http://[0:0::1]:80/a") == "http://[::1]/a"
    assert normalize_url("http://vnexpress.net:8080") == "http://vnexpress.net:8080/"
    assert normalize_url("https://vnexpress.net/a?b=2&a=1&utm_medium=x") == "https://vnexpress.net/a?a=1&b=2"
    for bad in ("javascript:void(0)", "file:///tmp/a.html", "https://", "https://a b.vn/", "http://x:99999/"):
        assert normalize_url(bad) is None, bad
    for url in SAME_ARTICLE:  # idempotent: a stored url gives the same id when normalized again
        assert normalize_url(normalize_url(url)) == normalize_url(url)


URL_PARTS = st.sampled_from(["https://", "http://", "HTTP://", "//", "ftp://", "", "https://[::1]", "báo.vn",
                              "xn--bo-mia.vn", "VnExpress.net", ".", ":443", ":8080", ":x", "/", "/a b", "%2e%2E",
                              "%c3%BA", "?", "&", "=", "utm_source", "id", "#", "@", "user:pw@", "\\", "..", "[", "]"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.one_of(st.lists(URL_PARTS, max_size=12).map("".join), st.text(max_size=200)))
def test_normalization_never_raises_is_idempotent_and_gives_safe_sites(url):
    from cleaners.urls import normalize_url

    normalized = normalize_url(url)
    if normalized is not None:
        assert normalize_url(normalized) == normalized
        assert make_doc_id(url) == make_doc_id(normalized)
    site = site_of(normalized or url)
    assert store.safe_site(site) == (site or "unknown")  # a site value is a safe partition value as it is


@pytest.mark.parametrize(("url", "site"), [
    ("https://báo.vn/a.html", "xn--bo-mia.vn"), ("https://www.xn--bo-mia.vn/a.html", "xn--bo-mia.vn"),
    ("http://[::1]:8000/a.html", "0-0-0-0-0-0-0-1"), ("http://[2001:db8::1]/a", "2001-db8-0-0-0-0-0-1"),
    ("https://vnexpress.net./a.html", "vnexpress.net"), ("http://127.0.0.1:8000/a", "127.0.0.1"),
    ("https://WWW.VnExpress.net/a", "vnexpress.net"), ("file:///tmp/a.html", ""),
])
def test_site_values(url, site):
    assert site_of(url) == site
    if site:
        assert store.safe_site(site) == site  # every site value is a valid partition value as it is


@pytest.mark.parametrize(("site", "expected"), [
    ("báo.vn", "xn--bo-mia.vn"), ("[::1]", "0-0-0-0-0-0-0-1"), ("vnexpress.net.", "vnexpress.net"),
    ("../../etc", "unknown"), ("a/b", "unknown"), ("..", "unknown"), ("", "unknown"), ("a\\b", "unknown"),
])
def test_partition_values_stay_safe_folder_names(site, expected):
    assert store.safe_site(site) == expected


def test_valid_hosts_get_their_own_partition(tmp_path):
    urls = {"https://báo.vn/a.html": "xn--bo-mia.vn", "http://[::1]:8000/a.html": "0-0-0-0-0-0-0-1",
            "https://vnexpress.net./a.html": "vnexpress.net", "http://127.0.0.1:8000/a.html": "127.0.0.1"}
    refs = warc_refs(tmp_path / "hosts.warc.gz", [(u, page(f"host-{i}"), HTML, "200 OK") for i, u in enumerate(urls)])
    out = tmp_path / "clean"
    assert run(refs, out, "r1")["written"] == 4
    assert sorted(r["site"] for r in store.read_clean(out).to_pylist()) == sorted(urls.values())
    assert sorted(p.name for p in out.glob("site=*")) == sorted(f"site={s}" for s in urls.values())


def test_a_backfill_by_site_finds_every_spelling_of_an_idn_host(tmp_path):
    from dataset.inputs import select_warc_records

    warc = write_warc(tmp_path / "idn.warc.gz", [(u, page(f"idn-{i}"), HTML, "200 OK") for i, u in enumerate(
        ["https://xn--bo-mia.vn/a.html", "https://tin.báo.vn/b.html", "https://bao.vn/c.html"])])
    for site in ("báo.vn", "www.XN--BO-MIA.vn"):
        assert len(select_warc_records([warc], site)) == 2, site


def test_the_public_suffix_list_is_read_offline(monkeypatch):
    """The registered-domain check never fetches the list: it reads the library's bundled snapshot."""
    import tld.utils

    from cleaners.urls import registered_domain, same_site

    tld.utils.reset_tld_names()  # forget the loaded list and every answer: the next check loads it again
    registered_domain.cache_clear()

    def no_network(*args, **kwargs):
        raise AssertionError("the Public Suffix List was fetched")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    assert same_site("m.example.vn", "www.example.vn") and not same_site("foo.github.io", "bar.github.io")


# --- item 6: "#offset" is a WARC record reference only ---

def test_a_file_named_like_a_record_reference_is_its_own_input(tmp_path):
    from dataset.inputs import discover

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dup.html").write_bytes(page("dup-0"))
    (folder / "dup.html#1").write_bytes(page("dup-1"))
    out = tmp_path / "clean"
    result = run(discover([folder]), out, "r1")
    assert result["written"] == 2, result
    rows = store.read_clean(out).to_pylist()
    assert sorted(r["title"] for r in rows) == ["Bài dup-0", "Bài dup-1"]
    assert sorted(Path(r["raw_ref"]).name for r in rows) == ["dup.html", "dup.html#1"]


# --- item 8: rejects of pages with a known URL carry its site and doc_id ---

def _warc_with_records(path: Path, records: list[tuple[str, bytes, str, dict[str, str]]]) -> Path:
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=False)
        for url, body, status, extra in records:
            headers = StatusAndHeaders(status, [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=headers, warc_headers_dict=extra))
    return path


def test_rejects_of_known_urls_carry_the_site_and_doc_id_a_clean_row_would_get(tmp_path):
    from dataset.inputs import discover

    base = "https://VnExpress.net/{}.html?utm_source=fb"
    slugs = ["loi-500", "rong", "nhi-phan", "cat-ngan", "ngan", "dut"]
    bad = _warc_with_records(tmp_path / "bad.warc", [
        (base.format("loi-500"), b"<html>server error</html>", "500 Internal Server Error", {}),
        (base.format("rong"), b"", "200 OK", {}),
        (base.format("nhi-phan"), b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "200 OK", {}),
        (base.format("cat-ngan"), page("cat-ngan"), "200 OK", {"WARC-Truncated": "length"}),
        (base.format("ngan"), "<html><body><p>Tin ngắn.</p></body></html>".encode(), "200 OK", {}),
    ])
    cut = _warc_with_records(tmp_path / "cut.warc", [(base.format("dut"), page("dut") * 3, "200 OK", {})])
    cut.write_bytes(cut.read_bytes()[:-2000])  # the record's content is cut short
    out = tmp_path / "clean"
    run(discover([bad, cut]), out, "r1")
    rejects = {r["url"].rsplit("/", 1)[1].split(".")[0]: r for r in store.read_rejects(out).to_pylist() if r["url"]}
    assert sorted(rejects) == sorted(slugs)

    # the same URLs as good pages: the clean rows' site and doc_id are the ones the rejects carry
    good = warc_refs(tmp_path / "good.warc.gz", [(base.format(s), page(s), HTML, "200 OK") for s in slugs])
    run(good, tmp_path / "clean-good", "r1")
    clean = {r["url"].rsplit("/", 1)[1].split(".")[0]: r for r in store.read_clean(tmp_path / "clean-good").to_pylist()}
    assert sorted(clean) == sorted(slugs)
    for slug in slugs:
        assert rejects[slug]["site"] == clean[slug]["site"] == "vnexpress.net", slug
        assert rejects[slug]["doc_id"] == clean[slug]["doc_id"] == doc_id_of(f"https://vnexpress.net/{slug}.html"), slug
        assert rejects[slug]["url"] == clean[slug]["url"] == f"https://vnexpress.net/{slug}.html", slug
