"""Pages made of very many small blocks (issue 12, item 10), at any size, to measure how cleaning scales.

    uv run python -m tests.hostile.shapes OUT_DIR [MIB]  # each shape of MIB MiB (default: 145,624 lines)

A 9.3 MB page of 145,624 short <p> took 202 s to clean (52.7 s at half the size: quadratic). Each shape
here is one way a page holds many small blocks: paragraphs, list items, <div>s, <br>-separated lines,
headings, links, table cells, and the same lines as a text dump. The lines are short distinct
Vietnamese sentences (seeded, deterministic) that share most of their words, as real news text does.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

MiB = 1024 * 1024

_VOCABULARY = (
    "Bộ Tài chính Ngân hàng Nhà nước Ủy ban nhân dân thành phố doanh nghiệp xuất khẩu hộ nông dân đồng bằng "
    "sông Cửu Long Tổng cục Thống kê bệnh viện người tiêu dùng Hà Nội Sở Giao thông vận tải trường đại học "
    "cho biết sẽ điều chỉnh đang theo dõi vừa công bố kế hoạch đề xuất tăng cường lo ngại kiến nghị tháo gỡ "
    "giá lúa gạo thị trường lãi suất cho vay mua nhà tiến độ dự án đường vành đai chất lượng nước sinh hoạt "
    "nguồn cung điện mùa khô chi phí vận chuyển hàng hóa trong quý tới từ đầu tháng này tuần qua cuối năm"
)
_WORDS = _VOCABULARY.split()


def lines(count: int, seed: int = 12) -> list[str]:
    """`count` distinct short sentences (5 to 10 words and a number, ~56 bytes of UTF-8 each)."""
    rng = random.Random(seed)
    return [" ".join(rng.choices(_WORDS, k=rng.randint(5, 10))).capitalize() + f" số {i}." for i in range(count)]


_HEAD = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Trang nhiều khối nhỏ</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="2026-03-07T08:07:18+07:00">
<link rel="canonical" href="https://example.vn/{shape}.html">
</head><body><nav><a href="/">Trang chủ</a> <a href="/kinh-te">Kinh tế</a></nav>
<article><h1>Trang nhiều khối nhỏ</h1>
"""
_TAIL = "\n</article>\n<footer>© 2026</footer></body></html>\n"

def _inline(i: int, line: str) -> str:
    words = line.split()
    return (f"<p>{' '.join(words[:2])} <b>{words[2]}</b> {' '.join(words[3:-2])} "
            f'<a href="/tin/{i}.html">{words[-2]}</a> {words[-1]}</p>')


# Each HTML shape: the body markup for its lines.
HTML_SHAPES: dict[str, Callable[[list[str]], str]] = {
    "p": lambda ls: "\n".join(f"<p>{t}</p>" for t in ls),
    # inline markup inside each paragraph: several text nodes per <p> (what "//p//text()" collects)
    "p-inline": lambda ls: "\n".join(_inline(i, t) for i, t in enumerate(ls)),
    "li": lambda ls: "<ul>\n" + "\n".join(f"<li>{t}</li>" for t in ls) + "\n</ul>",
    "div": lambda ls: "\n".join(f"<div>{t}</div>" for t in ls),
    "br": lambda ls: "<div>" + "<br>\n".join(ls) + "</div>",
    "h2": lambda ls: "\n".join(f"<h2>{t}</h2>" for t in ls),
    "a": lambda ls: "<div>" + "\n".join(f'<a href="/tin/{i}.html">{t}</a>' for i, t in enumerate(ls)) + "</div>",
    "td": lambda ls: "<table>\n" + "\n".join(
        "<tr>" + "".join(f"<td>{t}</td>" for t in ls[i : i + 4]) + "</tr>" for i in range(0, len(ls), 4)) + "\n</table>",
}
SHAPES = (*HTML_SHAPES, "text")
# The page of issue 12: 145,624 short <p> in 9.3 MB.
ISSUE_BLOCKS = 145_624
# Bytes of HTML per line of the <p> shape, to size pages in bytes.
BYTES_PER_LINE = 65


def page(shape: str, size: int) -> bytes:
    """A page of `shape` of about `size` bytes of HTML ("text": a text dump of the same lines)."""
    return page_of(shape, max(1, size // BYTES_PER_LINE))


def page_of(shape: str, count: int) -> bytes:
    """A page of `shape` holding `count` lines (HTML; "text" is a text dump of the same lines)."""
    body = lines(count)
    if shape == "text":
        return ("Trang nhiều khối nhỏ\n" + "\n".join(body) + "\n").encode()
    return (_HEAD.format(shape=shape) + HTML_SHAPES[shape](body) + _TAIL).encode()


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "shapes")
    out.mkdir(parents=True, exist_ok=True)
    count = int(float(sys.argv[2]) * MiB) // BYTES_PER_LINE if len(sys.argv) > 2 else ISSUE_BLOCKS
    for shape in SHAPES:
        path = out / f"{shape}.{'txt' if shape == 'text' else 'html'}"
        path.write_bytes(page_of(shape, count))
        print(f"{path.stat().st_size:>12,}  {path.name}")
