"""The working state of one page while the cleaning steps run over it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cleaners.normalize import dedup_key
from cleaners.rules import LanguageRules

# Roles a block can end in. Only BODY blocks become paragraphs.
BODY, TITLE, LEAD, CAPTION, AUTHOR, ATTRIBUTION, CATEGORY, DROPPED = (
    "body", "title", "lead", "captions", "author", "source_attribution", "category", "dropped",
)


@dataclass(slots=True)
class Block:
    """One line of a text dump or one block element of an extracted HTML page."""

    text: str
    # Where it came from: "line" (text dump), "p", "heading", "li", "cell", "quote".
    kind: str = "line"
    # True when the whole block is the text of one link (a menu item or a related-article headline).
    is_link: bool = False
    # Characters of the block that are link text (HTML only): listing pages are mostly links.
    link_chars: int = 0
    role: str = BODY
    reason: str = ""
    _key: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def key(self) -> str:
        """The text's dedup key, computed once: the steps compare blocks by it, and a page may hold more
        blocks than `dedup_key`'s cache."""
        if self._key is None:
            self._key = dedup_key(self.text)
        return self._key

    def drop(self, reason: str, role: str = DROPPED) -> None:
        """Take the block out of the body, saying why and where it went."""
        self.role, self.reason = role, reason


@dataclass(slots=True)
class Meta:
    """Page metadata gathered from markup before the body is cleaned; the steps fill in the rest."""

    url: str | None = None
    site: str = ""
    # The canonical URL the page states (link rel=canonical, else og:url), normalized, taken as `url` or not.
    canonical_url: str | None = None
    site_names: list[str] = field(default_factory=list)
    title: str | None = None
    description: str | None = None
    visible_lead: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    category: str | None = None
    lang_hint: str | None = None
    captions: list[str] = field(default_factory=list)
    source_attribution: str | None = None
    # Keys of texts the markup marks as the article's source ("source" boxes), for the tail step.
    source_names: frozenset[str] = frozenset()
    # The markup says this is an article (og:type article, JSON-LD Article, article:published_time).
    article_markup: bool = False
    # Why this page is a listing of other articles rather than an article, when it is one.
    listing: str | None = None

    @property
    def article_signs(self) -> bool:
        """Article markup or a publication date: an HTML page with neither is a listing (home, section, tag)."""
        return self.article_markup or self.published is not None


@dataclass(slots=True)
class Page:
    """Blocks plus metadata plus the language rules that apply."""

    blocks: list[Block]
    meta: Meta
    rules: LanguageRules | None = None
    lang: str | None = None
    from_html: bool = False

    def body(self) -> list[Block]:
        """The blocks still in the body, in order."""
        return [b for b in self.blocks if b.role == BODY]
