"""The record types that flow through tinsach: one `Document` per clean page, one `Reject` per lost input."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

PARAGRAPH_SEPARATOR = "\n\n"
# Fewer words than this after cleaning is a stub, a gallery or a section page, not an article. The
# shortest real briefs in the devset have ~80 words; navigation pages left by the extractor ~5-30.
ARTICLE_MIN_WORDS = 40
# Scripts written without spaces between words (Chinese, Japanese kana): each character counts as a
# word, as a syllable does in Vietnamese; otherwise a whole Chinese paragraph would count as one word.
# Their punctuation ("，", "。") separates like a space.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCTUATION = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff5b-\uff65"
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
_WORD = re.compile(f"[{_UNSPACED}]|[^\\s{_UNSPACED}{_CJK_PUNCTUATION}]+")


@dataclass(slots=True)
class Removal:
    """One block of the input and its verdict: `reason` is "" for a body paragraph, else why it left the body."""

    text: str
    reason: str
    # Where it went instead of the bin: "title", "lead", "captions", "author", "source_attribution", "category" or "".
    moved_to: str = ""


@dataclass(slots=True)
class Document:
    """One clean article: metadata, lead and body paragraphs, plus what was removed and why."""

    url: str | None = None
    raw_ref: str = ""
    site: str = ""
    # The canonical URL the page states, normalized; `url` unless it names another site (see cleaners.urls).
    canonical_url: str | None = None
    title: str | None = None
    lead: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    published: datetime | None = None
    author: str | None = None
    source_attribution: str | None = None
    category: str | None = None
    lang: str | None = None
    # HTML only: whether the markup declares an article (og:type, JSON-LD Article, article:* tags);
    # None for text dumps, which have no markup.
    article_markup: bool | None = None
    # Set when the page is a listing (home, section, tag page) rather than an article: why.
    listing: str | None = None
    # Every input block in order, kept or not (see `explain`).
    trace: list[Removal] = field(default_factory=list)

    @property
    def removals(self) -> list[Removal]:
        """The blocks that left the body, with their reasons."""
        return [r for r in self.trace if r.reason]

    @property
    def text(self) -> str:
        """Lead and body paragraphs joined by blank lines."""
        return join_text(self.lead, self.paragraphs)

    @property
    def n_words(self) -> int:
        """Words in `text` (see `count_words`)."""
        return count_words(self.text)

    @property
    def content_hash(self) -> str:
        """Hash of the normalized text: equal for exact duplicate bodies."""
        return text_hash(self.text)

    @property
    def doc_id(self) -> str:
        """Stable id: from the normalized URL when there is one, else from the raw reference."""
        return make_doc_id(self.url or self.raw_ref)


@dataclass(slots=True, frozen=True)
class Reject:
    """An input that did not become a clean row, with the reason and the step that decided."""

    raw_ref: str
    reason: str
    step: str
    url: str | None = None
    site: str = ""
    message: str = ""
    doc_id: str | None = None
    duplicate_of: str | None = None


def join_text(lead: str | None, paragraphs: list[str]) -> str:
    """The `text` column: lead and body paragraphs joined by blank lines."""
    return PARAGRAPH_SEPARATOR.join(([lead] if lead else []) + paragraphs)


def count_words(text: str) -> int:
    """The `n_words` column: whitespace-separated words (Vietnamese: syllables); in Chinese and
    Japanese text, which has no spaces between words, each character."""
    if _UNSPACED_CHAR.search(text) is None:
        return len(text.split())
    return len(_WORD.findall(text))


def text_hash(text: str) -> str:
    """The `content_hash` column: hash of the normalized text, equal for exact duplicate bodies."""
    from cleaners.normalize import dedup_key  # local: keeps this module dependency-free

    return hashlib.blake2b(dedup_key(text).encode(), digest_size=16).hexdigest()


def make_doc_id(key: str) -> str:
    """A 16-byte hex id derived from a URL or raw reference: an http(s) URL is normalized first
    (cleaners.urls.normalize_url), so every spelling of one URL gives one id; other keys are hashed as they are."""
    from cleaners.urls import normalize_url  # local: keeps this module free of the URL libraries

    key = normalize_url(key) or key
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
