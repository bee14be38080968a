"""A generated corpus for dataset tests: articles on a few sites sharing per-site footers, near-duplicate
copies, and inputs that become rejects. Deterministic for a seed; no two articles alike."""

from __future__ import annotations

import random
from pathlib import Path

from tests.fixture_site import WORDS

SITES = ("baomau.vn", "tinmau.vn", "baokhac.vn")
FOOTER = "Mời quý vị gửi ý kiến đóng góp về địa chỉ email toasoan@{site} để được giải đáp sớm nhất."


def paragraphs(rng: random.Random, count: int = 4) -> list[str]:
    """Distinct sentences of random words (a paragraph of three sentences each)."""
    result = []
    for _ in range(count):
        sentences = []
        for _ in range(3):
            words = " ".join(rng.choice(WORDS) for _ in range(12))
            sentences.append(words[0].upper() + words[1:] + ".")
        result.append(" ".join(sentences))
    return result


def page(url: str, title: str, body: list[str], published: str = "2026-03-07T08:00:00+07:00") -> str:
    """An article page whose canonical link is `url`."""
    return (f"<html lang='vi'><head><meta charset='utf-8'><title>{title}</title>"
            f"<link rel='canonical' href='{url}'><meta property='og:type' content='article'>"
            f"<meta property='article:published_time' content='{published}'></head>"
            f"<body><article><h1>{title}</h1>{''.join(f'<p>{p}</p>' for p in body)}</article></body></html>")


def bodies_of(seed: int, articles: int) -> list[list[str]]:
    """The article bodies `make_corpus` writes for a seed (without the footer)."""
    rng = random.Random(seed)
    return [paragraphs(rng) for _ in range(articles)]


def make_corpus(folder: Path, articles: int, seed: int, copies: int = 0, rejects: bool = True,
                copies_of: int | None = None) -> list[Path]:
    """`articles` pages over SITES, each with its site's footer; `copies` one-word-edited copies of the
    first articles (of this corpus, or of the corpus of seed `copies_of`) on another site; an empty and
    a binary input. Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    written = []
    bodies = []
    for i in range(articles):
        site = SITES[i % len(SITES)]
        body = paragraphs(rng)
        bodies.append(body)
        url = f"https://{site}/s{seed}-bai-{i}.html"
        path = folder / f"s{seed}-a{i:04d}.html"
        path.write_text(page(url, f"Bài {i} của lượt {seed} trên {site}", [*body, FOOTER.format(site=site)]),
                        encoding="utf-8")
        written.append(path)
    originals = bodies if copies_of is None else bodies_of(copies_of, max(copies, 1))
    for k in range(copies):
        body = list(originals[k % len(originals)])
        words = body[1].split()
        words[5] = "hômnay"
        body[1] = " ".join(words)
        path = folder / f"s{seed}-copy{k:04d}.html"
        path.write_text(page(f"https://saochep.vn/s{seed}-copy-{k}.html", f"Bản chép {k}", body), encoding="utf-8")
        written.append(path)
    if rejects:
        (folder / f"s{seed}-empty.html").write_bytes(b"")
        (folder / f"s{seed}-binary.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
        written += [folder / f"s{seed}-empty.html", folder / f"s{seed}-binary.html"]
    return written
