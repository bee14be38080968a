"""Text normalization: stored text stays as published (NFC); dedup keys fold case, quotes and tone placement."""

from __future__ import annotations

import functools
import re
import unicodedata

# Vietnamese places the tone of "oa", "oe" and "uy" on either vowel ("hoà" old style, "hòa" new style):
# keys move it onto the first vowel, so both spellings of a word give one key (issue 3). Tone placement
# never tells two words apart, so this merges nothing that differs in meaning.
_TONED = {"a": "àáảãạ", "e": "èéẻẽẹ", "y": "ỳýỷỹỵ"}
_FIRST = {"a": ("o", "òóỏõọ"), "e": ("o", "òóỏõọ"), "y": ("u", "ùúủũụ")}
_TONE_MOVES = {
    first + toned: moved + plain
    for plain, (first, first_toned) in _FIRST.items()
    for toned, moved in zip(_TONED[plain], first_toned, strict=True)
}
_TONE_MOVE_RE = re.compile("|".join(_TONE_MOVES))
_WORD_RE = re.compile(r"[^\W_]+")
_SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Zero-width characters and soft hyphens (a regex: str.translate with a dict is ~10x slower on pages).
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def clean_space(text: str) -> str:
    """NFC, no zero-width characters or soft hyphens, runs of horizontal space folded to one, ends trimmed."""
    text = _ZERO_WIDTH_RE.sub("", unicodedata.normalize("NFC", text))
    return _SPACE_RE.sub(" ", text).strip()


def key_tokens(text: str) -> list[str]:
    """Words of `text` for comparisons: NFC, casefolded, tone placement folded, punctuation and quotes dropped."""
    folded = unicodedata.normalize("NFC", text).casefold()
    if _TONE_MOVE_RE.search(folded):
        folded = _TONE_MOVE_RE.sub(lambda m: _TONE_MOVES[m.group()], folded)
    return _WORD_RE.findall(folded)


@functools.lru_cache(maxsize=16384)
def dedup_key(text: str) -> str:
    """One string per paragraph meaning: equal for copies that differ only in case, spacing, quotes or tone placement.

    Cached: the steps ask for the key of the same block, title and caption several times per page.
    """
    return " ".join(key_tokens(text))


def strip_accents(text: str) -> str:
    """ASCII-folded text ("Dân trí" -> "Dan tri"), for comparing names with domains and slugs."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
