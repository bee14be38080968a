import gzip

import pytest

from dataset import inputs
from dataset.runner import process_one
from tests.helpers import article_html, write_warc


def test_discover_expands_folders_sorted_and_skips_hidden(tmp_path):
    (tmp_path / "b.html").write_text("<p>x</p>")
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".hidden.html").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.htm.gz").write_bytes(gzip.compress(b"<p>x</p>"))
    refs = inputs.discover([tmp_path])
    assert [r.rsplit("/", 1)[1] for r in refs] == ["a.txt", "b.html", "c.htm.gz"]


def test_warc_response_records_become_inputs(tmp_path):
    body = article_html("Tin một", "https://example.vn/tin-1.html").encode()
    warc = write_warc(tmp_path / "crawl.warc.gz", [
        ("https://example.vn/tin-1.html", body, "text/html; charset=utf-8", "200 OK"),
        ("https://example.vn/missing.html", b"not found", "text/html", "404 Not Found"),
    ])
    refs = inputs.discover([warc])
    assert len(refs) == 2 and all("#" in r for r in refs)
    page = inputs.read(refs[0])
    assert page.url == "https://example.vn/tin-1.html" and page.charset == "utf-8" and page.status == 200
    assert page.data == body
    missing = process_one(refs[1])
    assert missing.reason == "unreadable" and "404" in missing.message


def test_gzip_and_text_inputs(tmp_path):
    html = article_html("Tin hai", "https://example.vn/tin-2.html").encode()
    (tmp_path / "p.html.gz").write_bytes(gzip.compress(html))
    page = inputs.read(str(tmp_path / "p.html.gz"))
    assert page.is_html and page.data == html and page.url.startswith("file://")
    (tmp_path / "d.txt").write_text("dòng một")
    assert not inputs.read(str(tmp_path / "d.txt")).is_html


@pytest.mark.parametrize(
    ("name", "content", "reason", "message"),
    [
        ("notes.pdf", b"%PDF-1.4", "unreadable", "unsupported file type"),
        ("broken.html.gz", b"\x1f\x8b\x08\x00garbage", "unreadable", "cannot read"),
        ("empty.html", b"", "empty", "zero bytes"),
        ("widget.html", b"<html><body><p>Copy link</p></body></html>", "empty", "nothing left"),
        ("stub.html", "<html><body><p>Trang chủ Thời sự</p></body></html>".encode(), "not_article", "no article markup"),
        ("short.txt", "Tin ngắn\nMột dòng duy nhất của bài.".encode(), "not_article", "words after cleaning"),
    ],
)
def test_bad_inputs_become_rejects_with_a_reason(tmp_path, name, content, reason, message):
    path = tmp_path / name
    path.write_bytes(content)
    outcome = process_one(str(path))
    assert outcome.reason == reason and message in outcome.message


def test_missing_file_is_rejected(tmp_path):
    outcome = process_one(str(tmp_path / "gone.html"))
    assert outcome.reason == "unreadable" and "no such file" in outcome.message


def test_oversized_gzip_is_rejected_without_inflating_it_all(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_PAGE_BYTES", 1000)
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"<p>" + b"a" * 100_000 + b"</p>"))
    outcome = process_one(str(path))
    assert outcome.reason == "unreadable" and "larger than" in outcome.message


def test_listing_pages_are_not_articles(tmp_path):
    teasers = "".join(
        f"<div class='item'><h3><a href='/tin-{i}.html'>Tiêu đề tin số {i} về kinh tế</a></h3>"
        f"<p>Tóm tắt tin số {i}: giá cả thị trường biến động mạnh trong tuần qua theo nhiều chuyên gia nhận định.</p></div>"
        for i in range(12)
    )
    listing = f"<html><head><title>Kinh doanh</title></head><body><main>{teasers}</main></body></html>"
    (tmp_path / "list.html").write_text(listing, encoding="utf-8")
    outcome = process_one(str(tmp_path / "list.html"))
    assert outcome.reason == "not_article" and "listing" in outcome.message
    dated = listing.replace("</head>", "<meta property='og:type' content='article'>"
                            "<meta property='article:published_time' content='2026-03-07T08:00:00+07:00'></head>")
    (tmp_path / "dated.html").write_text(dated, encoding="utf-8")
    # with article markup and a date the listing rule does not apply (the repeated teasers then go
    # as within-page near-duplicates, leaving a stub)
    assert "listing" not in getattr(process_one(str(tmp_path / "dated.html")), "message", "")


def test_a_page_that_runs_too_long_is_rejected_not_waited_for(tmp_path, monkeypatch):
    import time

    from dataset import runner

    (tmp_path / "slow.html").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")

    def stuck(*args, **kwargs):  # stands in for a pathological page (tests/test_bounds.py uses a real one)
        end = time.monotonic() + 5
        while time.monotonic() < end:  # Python code: a sleep in C would end before the limit could act
            pass

    monkeypatch.setattr(runner, "clean_page", stuck)
    started = time.monotonic()
    outcome = runner.process_one(str(tmp_path / "slow.html"), timeout=0.5)
    assert time.monotonic() - started < 2
    assert outcome.reason == "timeout" and "0.5 s" in outcome.message
