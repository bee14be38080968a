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
    sample = text[:3000]
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
