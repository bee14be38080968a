"""Language identification: Vietnamese by its letters (fast, exact), anything else by py3langid."""

from __future__ import annotations

import re

import py3langid

# Letters that only Vietnamese uses among Latin-script languages (horn, breve and the dotted tones).
_VI_LETTERS = re.compile(r"[ăắằẳẵặâấầẩẫậđêếềểễệôốồổỗộơớờởỡợưứừửữựạảẹẻẽịỉọỏụủỵỷỹ]", re.IGNORECASE)
# Share of words carrying a Vietnamese-only letter: ~0.45 in Vietnamese news, under 0.01 in French or
# Portuguese text, where some of these letters also occur.
VI_WORD_SHARE = 0.15
MIN_CHARS = 20


def detect_lang(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of `text`; the markup's `hint` decides only when the text is too short to tell."""
    sample = text[:1500]  # plenty for py3langid (its cost grows with the sample)
    words = sample.split()
    if len(sample) < MIN_CHARS or not words:
        return _short(hint)
    vi_words = sum(1 for w in words if _VI_LETTERS.search(w))
    if vi_words / len(words) >= VI_WORD_SHARE:
        return "vi"
    code, _score = py3langid.classify(sample)
    return str(code)


def _short(hint: str | None) -> str | None:
    return hint.replace("_", "-").split("-")[0].lower() if hint else None


# Vietnamese typed with the old font encodings and then read as Windows-1252/Latin-1 text:
# TCVN3 (ABC) turns "Hà Nội" into "Hµ Néi", VNI into "Haø Noäi". The marks below stand inside
# words only in such text. Calibrated on hand-converted seed sentences (43% and 70% of words) against
# German and French prose (under 10%): a quarter of the words is the line.
_TCVN3_MARKS = re.compile(r"[¸µ¶·¹¨©ª«®¬¼½¾]")
_VNI_MARKS = re.compile(r"[øùûõïäëöñåâ]")
LEGACY_WORD_SHARE = 0.25
# Real Vietnamese needs letters outside Latin-1 (ă đ ơ ư and the dotted/hooked vowels, U+0100 up);
# text read through a legacy 8-bit font encoding cannot contain any.
_BEYOND_LATIN1 = re.compile(r"[\u0100-\u024f\u1ea0-\u1ef9]")


def legacy_vietnamese_encoding(text: str) -> str | None:
    """"TCVN3" or "VNI" when `text` is Vietnamese in a legacy font encoding, else None."""
    words = [w for w in text.split()[:2000] if any(c.isalpha() for c in w)]
    if len(words) < 5 or sum(1 for w in words if _BEYOND_LATIN1.search(w)) / len(words) > 0.02:
        return None
    for name, marks in (("TCVN3", _TCVN3_MARKS), ("VNI", _VNI_MARKS)):
        if sum(1 for w in words if marks.search(w)) / len(words) >= LEGACY_WORD_SHARE:
            return name
    return None
