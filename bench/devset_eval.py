"""Quality gate for issue 3: paragraph precision/recall and metadata accuracy of `clean_html` on the devset.

    uv run python bench/devset_eval.py [--devset ../shared/devset] [--json bench/results/devset.json]

A predicted paragraph is right when it equals a gold paragraph after whitespace/NFC normalization;
gold "optional" paragraphs (intertitles) count neither way. `lead` counts as the first paragraph.
Metadata fields are right when equal after the same normalization (`published` as an instant).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from cleaners import clean_html
from cleaners.normalize import clean_space

META_FIELDS = ("title", "published", "author", "source_attribution", "category", "lead", "captions")
ROOT = Path(__file__).resolve().parent.parent


def _norm(text: str | None) -> str:
    return clean_space(text or "")


def score_page(html: bytes, url: str, gold: dict[str, Any]) -> dict[str, Any]:
    """Scores of one page against its gold."""
    doc = clean_html(html, url=url)
    predicted = [_norm(p) for p in ([doc.lead] if doc.lead else []) + doc.paragraphs]
    wanted = Counter(_norm(p) for p in ([gold["lead"]] if gold.get("lead") else []) + gold["paragraphs"])
    optional = {_norm(p) for p in gold.get("optional", [])}
    remaining = wanted.copy()
    tp = fp = 0
    false_pos: list[str] = []
    for paragraph in predicted:
        if remaining[paragraph] > 0:
            remaining[paragraph] -= 1
            tp += 1
        elif paragraph not in optional:
            fp += 1
            false_pos.append(paragraph)
    fn = sum(remaining.values())
    meta = {}
    for field in META_FIELDS:
        want, got = gold.get(field), getattr(doc, field)
        if field == "published":
            ok = (want is None and got is None) or (
                want is not None and got is not None and datetime.fromisoformat(want) == got)
        elif field == "captions":
            ok = [_norm(c) for c in want or []] == [_norm(c) for c in got]
        else:
            ok = _norm(want) == _norm(got)
        meta[field] = {"ok": ok, "gold": want, "got": got.isoformat() if isinstance(got, datetime) else got}
    return {"tp": tp, "fp": fp, "fn": fn, "false_positives": false_pos,
            "missed": [p for p, n in remaining.items() for _ in range(n)], "meta": meta}


def evaluate(devset: Path) -> dict[str, Any]:
    """Scores of every page in the devset manifest, and the totals."""
    manifest = (devset / "manifest.tsv").read_text(encoding="utf-8").splitlines()
    header = manifest[0].split("\t")
    pages = {}
    started = time.perf_counter()
    for line in manifest[1:]:
        row = dict(zip(header, line.split("\t"), strict=False))
        name = Path(row["file"]).stem
        gold = json.loads((devset / "gold" / f"{name}.json").read_text(encoding="utf-8"))
        pages[name] = score_page((devset / row["file"]).read_bytes(), row["original_url"], gold)
    seconds = time.perf_counter() - started
    tp = sum(p["tp"] for p in pages.values())
    fp = sum(p["fp"] for p in pages.values())
    fn = sum(p["fn"] for p in pages.values())
    fields = {f: sum(p["meta"][f]["ok"] for p in pages.values()) / len(pages) for f in META_FIELDS}
    return {
        "pages": len(pages), "seconds": round(seconds, 3),
        "paragraph_precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "paragraph_recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "metadata_accuracy": round(sum(fields.values()) / len(fields), 4), "fields": fields, "per_page": pages,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devset", type=Path, default=ROOT.parent / "shared" / "devset")
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print misses and wrong fields")
    args = parser.parse_args()
    report = evaluate(args.devset)
    print(f"pages {report['pages']}  paragraph P {report['paragraph_precision']:.4f}  "
          f"R {report['paragraph_recall']:.4f}  metadata {report['metadata_accuracy']:.4f}  ({report['seconds']} s)")
    for field, accuracy in report["fields"].items():
        print(f"  {field:<20} {accuracy:.2f}")
    if args.verbose:
        for name, page in report["per_page"].items():
            for paragraph in page["false_positives"]:
                print(f"{name} EXTRA  {paragraph[:150]}")
            for paragraph in page["missed"]:
                print(f"{name} MISSED {paragraph[:150]}")
            for field, result in page["meta"].items():
                if not result["ok"]:
                    print(f"{name} META   {field}: got {result['got']!r} want {result['gold']!r}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
