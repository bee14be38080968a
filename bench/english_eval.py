"""Other languages must not get worse: `clean_html` against bare `trafilatura.extract` on trafilatura's
own evaluation pages (mostly German and English web pages), accuracy and speed side by side.

    uv run python bench/english_eval.py [--data bench/data/trafeval] [--rounds 3] [-v]

The data is not committed (third-party pages): it is the `tests/cache/*.html` pages and the
`tests/evaldata.py` snippets of the trafilatura repository (github.com/adbar/trafilatura), stored as
DATA/cache/<file>.html and DATA/evaldata.json ({url: {"file", "with", "without"}}); DATA/SOURCE.md
names the commit. Scoring is trafilatura's own: a "with" snippet found in the output is a true
positive (else a false negative), a "without" snippet found is a false positive (else a true
negative); precision, recall and F1 over all snippets. Text is compared after NFC and whitespace
folding. The same pages are timed interleaved, as in bench/speed.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import trafilatura

from bench.speed import rates
from cleaners import clean_html
from cleaners.normalize import clean_space

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, text: str, entry: dict[str, list[str]], name: str) -> None:
        for snippet in entry.get("with", []):
            if clean_space(snippet) in text:
                self.tp += 1
            else:
                self.fn += 1
                self.misses.append(f"{name}: missing {snippet!r}")
        for snippet in entry.get("without", []):
            if clean_space(snippet) in text:
                self.fp += 1
                self.misses.append(f"{name}: kept {snippet!r}")
            else:
                self.tn += 1

    def prf(self) -> tuple[float, float, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def _flat(text: str | None) -> str:
    return " ".join(clean_space(line) for line in (text or "").splitlines())


def extractors() -> dict[str, Callable[[bytes, str], str]]:
    def ours(html: bytes, url: str, thorough: bool = False) -> str:
        doc = clean_html(html, url=url, thorough=thorough)
        return _flat("\n".join(filter(None, [doc.title, doc.text])))

    return {
        "trafilatura.extract (default)": lambda html, url: _flat(trafilatura.extract(html, url=url)),
        "trafilatura.extract (fast=True)": lambda html, url: _flat(trafilatura.extract(html, url=url, fast=True)),
        "cleaners.clean_html": ours,
        "cleaners.clean_html (thorough)": partial(ours, thorough=True),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "trafeval")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every missed or kept snippet")
    args = parser.parse_args()
    index = args.data / "evaldata.json"
    if not index.exists():
        print(f"no evaluation data at {args.data} (see this script's docstring)", file=sys.stderr)
        return 2
    entries = json.loads(index.read_text(encoding="utf-8"))
    pages = [(url, (args.data / "cache" / e["file"]).read_bytes(), e) for url, e in entries.items()
             if (args.data / "cache" / e["file"]).exists()]
    scores: dict[str, Score] = {}
    for name, fn in extractors().items():
        score = scores[name] = Score()
        for url, html, entry in pages:
            score.add(fn(html, url), entry, entry["file"])
    speed = rates({name: partial(lambda fn, page: fn(page[1], page[0]), fn) for name, fn in extractors().items()},
                  [(url, html) for url, html, _ in pages], args.rounds)
    base = speed["trafilatura.extract (default)"]
    snippets = sum(len(e.get("with", [])) + len(e.get("without", [])) for _, _, e in pages)
    print(f"{len(pages)} pages, {snippets} snippets, {args.rounds} interleaved timing rounds")
    print(f"  {'extractor':<32} {'precision':>9} {'recall':>7} {'F1':>6} {'pages/s':>8}  vs trafilatura")
    for name, score in scores.items():
        precision, recall, f1 = score.prf()
        print(f"  {name:<32} {precision:9.3f} {recall:7.3f} {f1:6.3f} {speed[name]:8.1f}  {speed[name] / base:5.2f}x")
    if args.verbose:
        for name, score in scores.items():
            print(f"\n{name}:")
            for line in score.misses:
                print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
