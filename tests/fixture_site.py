"""A real HTTP server on 127.0.0.1 serving a small news site with every kind of trouble, for scraper tests."""

from __future__ import annotations

import functools
import gzip
import random
import socket
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import brotli

WORDS = ["giá", "vàng", "thị", "trường", "chứng", "khoán", "ngân", "hàng", "lãi", "suất", "doanh", "nghiệp", "xuất", "khẩu", "nông", "sản", "du", "lịch", "giáo", "dục", "y", "tế", "bệnh", "viện", "bác", "sĩ", "học", "sinh", "thành", "phố", "tỉnh", "huyện", "xã", "người", "dân", "chính", "phủ", "quốc", "hội", "bộ", "trưởng", "dự", "án", "đường", "sắt", "cao", "tốc", "cảng", "biển", "sân", "bay", "điện", "gió", "năng", "lượng", "mặt", "trời", "nước", "sạch", "môi", "trường", "rừng", "biển", "đảo", "bóng", "đá", "đội", "tuyển", "huấn", "luyện", "viên", "cầu", "thủ", "khán", "giả", "nghệ", "sĩ", "âm", "nhạc", "điện", "ảnh", "sách", "báo", "công", "nghệ"]


def article(slug: str, title: str, words: int = 120) -> str:
    """A distinct Vietnamese-looking article page (random words seeded by the slug: no two alike)."""
    rng = random.Random(slug)
    sentences = []
    for _ in range(words // 12):
        sentence = " ".join(rng.choice(WORDS) for _ in range(12))
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
    paragraphs = "".join(f"<p>{' '.join(sentences[i:i + 3])}</p>" for i in range(0, len(sentences), 3))
    return (f"<html lang='vi'><head><meta charset='utf-8'><title>{title}</title>"
            f"<meta property='og:type' content='article'>"
            f"<meta property='article:published_time' content='2026-03-07T08:00:00+07:00'></head>"
            f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>")


@functools.cache
def brotli_bomb(mebibytes: int = 512) -> bytes:
    """A brotli body of about 1 KB that expands to `mebibytes` MiB of zeros (computed once, ~0.7 s)."""
    compressor = brotli.Compressor(quality=5)
    zeros = bytes(16 * 1024 * 1024)
    parts = [compressor.process(zeros) for _ in range(mebibytes // 16)]
    return b"".join([*parts, compressor.finish()])


# Validators of the conditional feed and page: the 304 of the feed carries a newer Last-Modified.
FEED_ETAG, FEED_MODIFIED, FEED_MODIFIED_LATER = '"f1"', "Sat, 07 Mar 2026 08:00:00 GMT", "Sat, 07 Mar 2026 09:00:00 GMT"
PAGE_ETAG, PAGE_MODIFIED = '"p1"', "Sat, 07 Mar 2026 07:00:00 GMT"


class FixtureSite:
    """Start with `with FixtureSite() as site:`; `site.url(path)`; `site.hits[path]` lists request times.

    Paths under /slow are slow (`slow_seconds`); /drip* send one body byte every `drip_seconds`
    for `drip_total` seconds; /flaky/* answers 500 `flaky_failures` times per path, then 200.
    """

    def __init__(self, crawl_delay: float = 0.2, slow_seconds: float = 3.0, drip_seconds: float = 0.5,
                 drip_total: float = 20.0, flaky_failures: int = 2) -> None:
        self.crawl_delay = crawl_delay
        self.slow_seconds = slow_seconds
        self.drip_seconds = drip_seconds
        self.drip_total = drip_total
        self.flaky_failures = flaky_failures
        self.hits: dict[str, list[float]] = defaultdict(list)
        self.headers_seen: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self.busy_served = False
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                return

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without NODELAY, Nagle plus delayed ACK add 40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                # slow pages outlive the client's timeout by design: they are not counted as active
                counted = not self.path.startswith(("/slow", "/drip"))
                with site._lock:
                    site.active += counted
                    site.max_active = max(site.max_active, site.active)
                    site.hits[self.path].append(time.monotonic())
                    site.headers_seen[self.path].append(dict(self.headers))
                try:
                    site.route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): expected for /slow.html
                finally:
                    with site._lock:
                        site.active -= counted

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """Absolute URL of a path on the fixture site."""
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> FixtureSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8",
             extra: dict[str, str] | None = None, length: int | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body) if length is None else length))
        for key, value in (extra or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)

    def route(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        send = self.send
        if self.hostile(h, path):
            return
        if path == "/robots.txt":
            send(h, 200, f"User-agent: *\nDisallow: /private/\nCrawl-delay: {self.crawl_delay}\n".encode(), "text/plain")
        elif path == "/feed.xml":
            items = "".join(f"<item><title>t</title><link>{self.url(p)}</link></item>" for p in (
                "/news/a.html", "/news/b.html?utm_source=rss", "/private/secret.html", "/moved", "/missing.html",
                "/error.html", "/busy.html", "/slow.html", "/truncated.html", "/huge.html", "/latin1.html",
                "/gzip.html", "/brotli.html"))
            send(h, 200, f"<?xml version='1.0'?><rss><channel>{items}</channel></rss>".encode(), "application/rss+xml")
        elif path == "/sitemap_index.xml":
            body = f"<sitemapindex><sitemap><loc>{self.url('/sitemap-news.xml')}</loc></sitemap></sitemapindex>"
            send(h, 200, body.encode(), "application/xml")
        elif path == "/sitemap-news.xml":
            body = (f"<urlset xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'><url><loc>{self.url('/news/c.html')}</loc>"
                    "<news:news><news:title>c</news:title></news:news></url></urlset>")
            send(h, 200, body.encode(), "application/xml")
        elif path == "/news/a.html":
            if h.headers.get("If-None-Match") == '"v1"':
                send(h, 304, extra={"ETag": '"v1"'})
            else:
                send(h, 200, article("a", "Tin A hôm nay").encode(), extra={"ETag": '"v1"'})
        elif path in ("/news/b.html", "/news/c.html", "/news/final.html") or path.startswith("/news/p"):
            send(h, 200, article(path, f"Tin {path}").encode())
        elif path == "/moved":
            send(h, 301, extra={"Location": "/news/final.html"})
        elif path == "/private/secret.html":
            send(h, 200, article("secret", "Bí mật").encode())
        elif path == "/missing.html":
            send(h, 404, b"not found")
        elif path == "/error.html":
            send(h, 500, b"boom")
        elif path == "/busy.html":
            if not self.busy_served:
                self.busy_served = True
                send(h, 429, b"slow down", extra={"Retry-After": "1"})
            else:
                send(h, 200, article("busy", "Tin sau khi chờ").encode())
        elif path.startswith("/slow"):
            time.sleep(self.slow_seconds)
            send(h, 200, article(path, "Tin chậm").encode())
        elif path == "/truncated.html":
            body = article("truncated", "Tin bị cắt").encode()
            send(h, 200, body[: len(body) // 2], length=len(body))
            h.close_connection = True
        elif path == "/huge.html":
            send(h, 200, b"<html><body>" + b"<p>x</p>" * 100_000 + b"</body></html>")
        elif path == "/latin1.html":  # UTF-8 bytes under a wrong charset header
            send(h, 200, article("latin1", "Giá vàng tăng").encode(), "text/html; charset=iso-8859-1")
        elif path == "/gzip.html":
            send(h, 200, gzip.compress(article("gzip", "Tin nén gzip").encode()), extra={"Content-Encoding": "gzip"})
        elif path == "/brotli.html":
            send(h, 200, brotli.compress(article("brotli", "Tin nén brotli").encode()), extra={"Content-Encoding": "br"})
        else:
            send(h, 404, b"no such page")

    def hostile(self, h: BaseHTTPRequestHandler, path: str) -> bool:
        """The routes of issue 12 (drips, bombs, validators, flaky pages, redirects); False for others."""
        send = self.send
        route, query = urlsplit(path).path, parse_qs(urlsplit(path).query)
        if route.startswith("/drip"):  # headers at once, then the body one byte at a time
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", "1000000")
            h.end_headers()
            until = time.monotonic() + self.drip_total
            while time.monotonic() < until:
                h.wfile.write(b"<")
                h.wfile.flush()
                time.sleep(self.drip_seconds)
            h.close_connection = True
        elif route in ("/bomb.html", "/bomb-feed.xml"):
            kind = "application/rss+xml" if route.endswith(".xml") else "text/html; charset=utf-8"
            send(h, 200, brotli_bomb(), kind, extra={"Content-Encoding": "br"})
        elif route == "/cond-feed.xml":  # a feed with validators; its 304 carries a newer Last-Modified
            if h.headers.get("If-None-Match") == FEED_ETAG:
                send(h, 304, extra={"ETag": FEED_ETAG, "Last-Modified": FEED_MODIFIED_LATER})
            else:
                items = f"<item><link>{self.url('/news/v.html')}</link></item>"
                send(h, 200, f"<rss><channel>{items}</channel></rss>".encode(), "application/rss+xml",
                     extra={"ETag": FEED_ETAG, "Last-Modified": FEED_MODIFIED})
        elif route == "/news/v.html":  # a page whose 304 carries no validators at all
            if h.headers.get("If-None-Match") == PAGE_ETAG:
                send(h, 304)
            else:
                send(h, 200, article("v", "Tin có ETag").encode(), extra={"ETag": PAGE_ETAG, "Last-Modified": PAGE_MODIFIED})
        elif route == "/cond-sitemap.xml":  # lists the flaky and the failing page; 304 once seen
            if h.headers.get("If-None-Match") == '"s1"':
                send(h, 304, extra={"ETag": '"s1"'})
            else:
                locs = "".join(f"<url><loc>{self.url(p)}</loc></url>" for p in ("/flaky/a.html", "/error.html"))
                send(h, 200, f"<urlset>{locs}</urlset>".encode(), "application/xml", extra={"ETag": '"s1"'})
        elif route.startswith("/flaky/"):
            with self._lock:
                failing = len(self.hits[path]) <= self.flaky_failures
            if failing:
                send(h, 500, b"boom")
            else:
                send(h, 200, article(path, f"Tin {path}").encode())
        elif route == "/redirect":  # to anywhere: /redirect?to=http://169.254.169.254/
            send(h, 302, extra={"Location": query["to"][0]})
        else:
            return False
        return True
