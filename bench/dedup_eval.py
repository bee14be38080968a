"""Near-duplicate detection on a labelled set built from the bundled samples (issue 4).

    uv run python bench/dedup_eval.py [--seed 1]

Originals: the five seed dumps and the four HTML pages, cleaned. Variants of each: a copy wrapped in
other clutter (re-cleaned), and copies with 2%, 5% and 10% of words edited (substituted, deleted or
inserted at random). The five seeds are distinct articles on one event (Vietnam's defence diplomacy):
every pair across originals is a negative. Reported: pairwise precision and recall of the clusters
`dataset.dedup.near_duplicates` finds, recall per edit level, and signatures per second.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import random
import sys
import time
from pathlib import Path

from cleaners import clean_html, clean_text
from dataset import dedup

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "raw" / "samples"
FILLER = ["mới", "thêm", "nhiều", "đã", "sẽ", "cũng", "rất", "đang", "vẫn", "hơn"]
CLUTTER_TOP = ["Trang chủ Thời sự", "Thứ hai, 01/01/2024", "aa", "Chia sẻ"]
CLUTTER_END = ["Theo TTXVN", "Tin liên quan", "Một tin khác về chủ đề khác", "Một tin khác nữa cùng chuyên mục",
               "Đọc nhiều", "[Video] Tin video hôm nay", "Phiên bản di động"]


def originals() -> dict[str, str]:
    """Cleaned texts of the bundled samples, by name."""
    texts = {p.stem: clean_text(p.read_text(encoding="utf-8")).text for p in sorted((SAMPLES / "seeds").glob("*.txt"))}
    for path in sorted((SAMPLES / "html").glob("*.html.gz")):
        texts[path.name.split(".")[0]] = clean_html(gzip.decompress(path.read_bytes())).text
    return texts


def edit(text: str, share: float, rng: random.Random) -> str:
    """`text` with `share` of its words substituted, deleted or inserted, at random places."""
    words = text.split()
    for i in sorted(rng.sample(range(len(words)), max(1, int(len(words) * share))), reverse=True):
        op = rng.choice(("sub", "del", "ins"))
        if op == "sub":
            words[i] = rng.choice(FILLER)
        elif op == "del":
            del words[i]
        else:
            words.insert(i, rng.choice(FILLER))
    return " ".join(words)


def reclutter(text: str) -> str:
    """The same article inside other clutter, cleaned again."""
    return clean_text("\n".join([*CLUTTER_TOP, *text.split("\n\n"), *CLUTTER_END])).text


def build(seed: int) -> tuple[list[str], list[str], list[str]]:
    """Texts, their cluster labels, and their variant kinds."""
    rng = random.Random(seed)
    texts, labels, kinds = [], [], []
    for name, text in originals().items():
        variants = [("original", text), ("clutter", reclutter(text))]
        variants += [(f"edit {int(s * 100)}%", edit(text, s, rng)) for s in (0.02, 0.05, 0.10)]
        for kind, variant in variants:
            texts.append(variant)
            labels.append(name)
            kinds.append(kind)
    return texts, labels, kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    texts, labels, kinds = build(args.seed)
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        sigs = [dedup.signature(dedup.shingles(t)) for t in texts]
    per_second = rounds * len(texts) / (time.perf_counter() - started)
    docs = [dedup.Candidate(f"d{i:03d}", None, len(t.split()), s) for i, (t, s) in enumerate(zip(texts, sigs, strict=True))]
    found = dedup.near_duplicates(docs)
    root = {i: found.get(i, i) for i in range(len(docs))}
    tp = fp = fn = 0
    missed: dict[str, int] = {}
    for i, j in itertools.combinations(range(len(docs)), 2):
        same, predicted = labels[i] == labels[j], root[i] == root[j]
        tp += same and predicted
        fp += predicted and not same
        if same and not predicted:
            fn += 1
            for k in (i, j):
                if kinds[k] != "original":
                    missed[kinds[k]] = missed.get(kinds[k], 0) + 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"{len(texts)} documents in {len(set(labels))} clusters; shingles of {dedup.SHINGLE_SIZE} syllables, "
          f"{dedup.NUM_PERM} permutations = {dedup.BANDS} bands x {dedup.ROWS} rows, confirm at J >= {dedup.DUPLICATE_JACCARD}")
    print(f"pairwise precision {precision:.4f}  recall {recall:.4f}  (tp {tp}, fp {fp}, fn {fn})")
    by_kind = {k: [root[i] == root[labels.index(labels[i])] for i in range(len(docs)) if kinds[i] == k]
               for k in dict.fromkeys(kinds) if k != "original"}
    for kind, hits in by_kind.items():
        print(f"  recall of '{kind}' copies against their original: {sum(hits)}/{len(hits)}")
    print(f"signatures per second: {per_second:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
