"""Text normalization: stored text stays as published (NFC); dedup keys fold case, quotes and tone placement."""

from __future__ import annotations

import re
import unicodedata

# Vietnamese tone marks as combining characters (NFD). Quality marks (circumflex, breve, horn) are not tones.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_TONE_RE = re.compile(f"[{_TONES}]")
# A word in NFD text: letters/digits plus combining marks.
_WORD_RE = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
_SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def clean_space(text: str) -> str:
    """NFC, no zero-width characters or soft hyphens, runs of horizontal space folded to one, ends trimmed."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    return _SPACE_RE.sub(" ", text).strip()


def _fold_tone(word: str) -> str:
    # "hoà" and "hòa" are the same syllable with the tone mark placed by old and new rules: move every
    # tone mark to the end of the syllable so both spellings give one key (issue 3).
    tones = _TONE_RE.findall(word)
    return _TONE_RE.sub("", word) + "".join(tones) if tones else word


def key_tokens(text: str) -> list[str]:
    """Words of `text` for comparisons: casefolded, tone placement folded, punctuation and quotes dropped."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return [_fold_tone(w) for w in _WORD_RE.findall(decomposed)]


def dedup_key(text: str) -> str:
    """One string per paragraph meaning: equal for copies that differ only in case, spacing, quotes or tone placement."""
    return " ".join(key_tokens(text))


def strip_accents(text: str) -> str:
    """ASCII-folded text ("Dân trí" -> "Dan tri"), for comparing names with domains and slugs."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
