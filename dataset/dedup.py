"""Corpus-level deduplication as pure functions: paragraph hashes, site boilerplate, MinHash LSH.

The state these functions feed on (paragraph counts per site, LSH band hashes) lives in Parquet
beside the data; `dataset.corpus` reads and writes it. Nothing here keeps state between calls.
"""

from __future__ import annotations

import hashlib
import itertools
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cleaners.normalize import dedup_key, key_tokens

# --- site boilerplate (CCNet-style: count normalized paragraph hashes per site) --------------------

# A paragraph seen in this many distinct documents of one site is the site's boilerplate (footer,
# promo, standard disclaimer). 3 rather than 2: two articles of a series may share a background
# paragraph legitimately; a third copy is a template. Calibrated on the seeds/devset variants in
# bench/dedup_eval.py, where no article paragraph recurs in 3 distinct documents.
BOILERPLATE_MIN_DOCS = 3
# Very short paragraphs ("Hà Nội", "Ảnh minh họa") repeat across articles by chance, not by template;
# they are judged by the cleaning rules, not by counting.
BOILERPLATE_MIN_WORDS = 4


def paragraph_hash(text: str) -> int:
    """Signed 64-bit hash of a paragraph's dedup key (case, spacing, quotes, tone placement folded)."""
    digest = hashlib.blake2b(dedup_key(text).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def paragraph_hashes(paragraphs: Iterable[str]) -> list[int]:
    """Hashes of the paragraphs that can count as boilerplate (long enough), in order, distinct."""
    seen: dict[int, None] = {}
    for text in paragraphs:
        if len(text.split()) >= BOILERPLATE_MIN_WORDS:
            seen.setdefault(paragraph_hash(text), None)
    return list(seen)


def boilerplate(hashes: np.ndarray, n_docs: np.ndarray, min_docs: int = BOILERPLATE_MIN_DOCS) -> set[int]:
    """The paragraph hashes that are boilerplate given per-site document counts (parallel arrays)."""
    return set(hashes[n_docs >= min_docs].tolist())


# --- near-duplicate documents: MinHash over syllable shingles, LSH banding ---------------------------

# Shingles are runs of SHINGLE_SIZE syllables (Vietnamese writes syllables space-separated, so a word
# tokenizer is a syllable tokenizer). With three, a copy with 10% of its words edited keeps an
# estimated Jaccard of ~0.5-0.6 with its original, while distinct articles on the same event (the
# seeds) stay at or under 0.07 (bench/dedup_eval.py).
SHINGLE_SIZE = 3
# A candidate pair is a duplicate at this estimated Jaccard or more: under the 10%-edit copies, far
# above same-event articles. Calibrated with bench/dedup_eval.py over seeds 1-5: precision 1.0 and
# recall 1.0 at 0.45; at 0.5 recall drops to 0.956 on two seeds (10%-edit copies at 0.47-0.49).
DUPLICATE_JACCARD = 0.45
# 126 permutations as 42 bands of 3 rows: the LSH S-curve threshold is (1/42)^(1/3) ~ 0.29, and a
# pair at the duplicate threshold becomes a candidate with p = 1 - (1 - 0.45^3)^42 ~ 0.98 (0.9995 at
# 0.55). Candidates are confirmed on the estimated Jaccard, so the low S-curve costs time, not precision.
NUM_PERM = 126
BANDS = 42
ROWS = NUM_PERM // BANDS
_MERSENNE = np.uint64((1 << 61) - 1)
_MAX32 = np.uint64(0xFFFFFFFF)
# Fixed seed: signatures must be comparable across runs, machines and versions of numpy.
_rng = np.random.RandomState(20261123)
_A = _rng.randint(1, np.iinfo(np.int64).max, size=NUM_PERM, dtype=np.int64).astype(np.uint64)
_B = _rng.randint(0, np.iinfo(np.int64).max, size=NUM_PERM, dtype=np.int64).astype(np.uint64)
assert BANDS * ROWS == NUM_PERM


def shingles(text: str, size: int = SHINGLE_SIZE) -> np.ndarray:
    """32-bit hashes of the distinct syllable k-grams of `text` (all of it when shorter than k)."""
    tokens = key_tokens(text)
    grams = {" ".join(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1))} if tokens else set()
    # CRC-32: stable across runs and machines, and ~10x faster than a cryptographic hash here
    return np.array(sorted(zlib.crc32(g.encode()) for g in grams), dtype=np.uint64)


def signature(shingle_hashes: np.ndarray) -> np.ndarray:
    """MinHash signature (NUM_PERM uint32 values) of a shingle set; all-max for an empty set."""
    if shingle_hashes.size == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    # universal hashing (a*x + b) mod p, as datasketch does; uint64 wrap-around is part of the hash
    with np.errstate(over="ignore"):
        values = (np.outer(shingle_hashes, _A) + _B) % _MERSENNE & _MAX32
    result: np.ndarray = values.min(axis=0).astype(np.uint32)
    return result


def text_signature(text: str) -> bytes:
    """The MinHash signature of a text as bytes (computed in the cleaning tasks, staged for the commit)."""
    return signature(shingles(text)).tobytes()


# splitmix64's finalizer: a fixed, well-mixed 64-bit hash of integer input, vectorized in numpy.
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_BAND_CHUNK = 8192


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    mixed: np.ndarray = z ^ (z >> np.uint64(31))
    return mixed


def band_matrix(sigs: np.ndarray) -> np.ndarray:
    """Band hashes of n signatures (n x NUM_PERM uint32) as an n x BANDS int64 matrix.

    Equal band hashes make a candidate pair. Computed in numpy for the whole run at once: hashing
    band by band in Python cost ~4 s and ~0.5 GiB of tuples per 100,000 documents.
    """
    sigs = np.asarray(sigs, dtype=np.uint32).reshape(-1, NUM_PERM)
    result = np.empty((len(sigs), BANDS), dtype=np.int64)
    with np.errstate(over="ignore"):
        seeds = _mix(np.arange(1, BANDS + 1, dtype=np.uint64) * _GOLDEN)
        for start in range(0, len(sigs), _BAND_CHUNK):  # in chunks: the uint64 temporaries stay small
            rows = sigs[start : start + _BAND_CHUNK].reshape(-1, BANDS, ROWS).astype(np.uint64)
            h = np.broadcast_to(seeds, rows.shape[:2])
            for r in range(ROWS):
                h = _mix(h ^ rows[:, :, r])
            result[start : start + len(rows)] = h.view(np.int64)
    return result


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal MinHash values: an unbiased estimate of the shingle sets' Jaccard."""
    return float(np.mean(a == b))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A document as dedup sees it: id, when, how long, and its signature."""

    doc_id: str
    published: float | None  # POSIX seconds; None sorts last
    n_words: int
    sig: np.ndarray


def canonical_key(doc: Candidate) -> tuple[float, int, str]:
    """Sort key of the copy to keep: earliest published, then the most complete, then the smallest id."""
    return (doc.published if doc.published is not None else float("inf"), -doc.n_words, doc.doc_id)


def cluster(count: int, pairs: Iterable[tuple[int, int]], key: Callable[[int], Any]) -> dict[int, int]:
    """Union-find over confirmed duplicate pairs among `count` documents: maps each duplicate's index to
    its canonical index, the member of its cluster with the smallest `key` (e.g. `canonical_key`)."""
    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            keep, drop = sorted((ri, rj), key=key)
            parent[drop] = keep
    return {i: root for i in range(count) if (root := find(i)) != i}


def candidate_pairs(bands: np.ndarray) -> set[tuple[int, int]]:
    """Index pairs (i < j) of rows of a band matrix that share a band hash in at least one band."""
    pairs: set[tuple[int, int]] = set()
    for band in range(bands.shape[1] if bands.ndim == 2 and len(bands) > 1 else 0):
        order = np.argsort(bands[:, band], kind="stable")
        ordered = bands[order, band]
        equal_next = np.flatnonzero(ordered[1:] == ordered[:-1])  # k: row order[k] shares with order[k + 1]
        start = previous = -2
        for k in [*equal_next.tolist(), -1]:  # -1 flushes the last run
            if k != previous + 1:
                if start >= 0:
                    members = sorted(order[start : previous + 2].tolist())
                    pairs.update(itertools.combinations(members, 2))
                start = k
            previous = k
    return pairs


def near_duplicates(docs: Sequence[Candidate], threshold: float = DUPLICATE_JACCARD) -> dict[int, int]:
    """Duplicates among `docs` (index -> canonical index), confirmed on estimated Jaccard; order-independent."""
    bands = band_matrix(np.stack([d.sig for d in docs])) if docs else np.empty((0, BANDS), np.int64)
    confirmed = [(i, j) for i, j in sorted(candidate_pairs(bands))
                 if estimated_jaccard(docs[i].sig, docs[j].sig) >= threshold]
    return cluster(len(docs), confirmed, lambda k: canonical_key(docs[k]))
