"""The public entry points: `clean_html`, `clean_text`, and `explain` for why each line went."""

from __future__ import annotations

import re
from collections.abc import Mapping

from cleaners.decode import decode_bytes
from cleaners.document import Document, Removal
from cleaners.extract import (
    EXTRACT_MAX_ELEMENTS,
    SCOPE_MIN_CHARS,
    Cascade,
    article_scope,
    element_roles,
    html_blocks,
    narrowed,
    page_meta,
    paragraph_mass,
    parse_html,
    prune_related,
)
from cleaners.lang import detect_lang
from cleaners.normalize import clean_space, dedup_key
from cleaners.page import AUTHOR, BODY, CAPTION, LEAD, TITLE, Block, Meta, Page
from cleaners.rules import rules_for
from cleaners.site_rules import DEFAULT_SITE_RULES, SiteRules, drop_elements, for_site, merge
from cleaners.steps import BYLINE_NOTE, BYLINE_PREFIX, STEPS, _site_like
from cleaners.urls import identity, site_of


def clean_text(text: str, url: str | None = None, site_rules: Mapping[str, SiteRules] | None = None) -> Document:
    """Clean a text dump of a news page (one paragraph or widget per line)."""
    blocks = [Block(line) for line in (clean_space(raw) for raw in text.splitlines()) if line]
    url = identity(url)
    meta = Meta(url=url, site=site_of(url))
    lang = detect_lang(" ".join(b.text for b in blocks))
    rules = merge(rules_for(lang), for_site(meta.site, DEFAULT_SITE_RULES if site_rules is None else site_rules))
    return _run(Page(blocks=blocks, meta=meta, rules=rules, lang=lang, from_html=False))


def clean_html(
    html: str | bytes, url: str | None = None, charset: str | None = None,
    site_rules: Mapping[str, SiteRules] | None = None, *, thorough: bool = False,
) -> Document:
    """Clean an HTML news page; bytes are decoded by BOM, UTF-8, `charset` (the HTTP header's), <meta>, detection.

    By default trafilatura reads only the article's container (headline plus most paragraph text) and
    runs its fallback extractors only when its own result looks short or deficient; `thorough=True`
    gives it the whole page and always runs them (trafilatura's default; about twice as slow). A tree too
    big for trafilatura's cost to stay linear is read in pieces (`extract.html_blocks`).
    """
    text = decode_bytes(html, charset)[0] if isinstance(html, bytes) else html
    tree = parse_html(text)
    site = for_site(site_of(url), DEFAULT_SITE_RULES if site_rules is None else site_rules)
    drop_elements(tree, site)
    roles = element_roles(tree)
    prune_related(tree, roles)
    meta = page_meta(tree, url, roles)
    if thorough:
        blocks = html_blocks(tree, url, cascade="always", fallback_max=EXTRACT_MAX_ELEMENTS)
    else:
        # A page with neither article markup nor a publication date is a listing (rejected downstream): the
        # fallback extractors are not worth running on it. An article with little <p> text is where
        # trafilatura's own extractor comes up short: the fallbacks run at once.
        mass = paragraph_mass(tree)
        cascade: Cascade = "never" if not meta.article_signs else "always" if mass[0] < SCOPE_MIN_CHARS else "doubtful"
        blocks = html_blocks(narrowed(tree, article_scope(tree, meta.title, mass)), url, cascade)
    lang = detect_lang(" ".join(b.text for b in blocks), meta.lang_hint)
    return _run(Page(blocks=blocks, meta=meta, rules=merge(rules_for(lang), site), lang=lang, from_html=True))


def clean_page(
    data: bytes, is_html: bool, url: str | None = None, charset: str | None = None,
    site_rules: Mapping[str, SiteRules] | None = None,
) -> Document:
    """Clean raw page bytes, HTML or a text dump."""
    if is_html:
        return clean_html(data, url, charset, site_rules)
    return clean_text(decode_bytes(data, charset)[0], url, site_rules)


def explain(doc: Document) -> list[tuple[str, str]]:
    """Each input block in order with "KEEP" or the rule that removed it (and where it went)."""
    return [
        ((r.reason + (f" -> {r.moved_to}" if r.moved_to else "")) if r.reason else "KEEP", r.text) for r in doc.trace
    ]


# "VCCorp.vn", "baodautu.vn": a host name is a publisher, never a person's byline.
DOMAIN_LIKE = re.compile(r"\.(?:vn|com|net|org|info|biz)\b", re.IGNORECASE)


def _run(page: Page) -> Document:
    for step in STEPS:
        step(page)
    return _document(page)


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = dedup_key(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _document(page: Page) -> Document:
    meta = page.meta
    by_role: dict[str, list[str]] = {}
    for block in page.blocks:
        by_role.setdefault(block.role, []).append(block.text)
    leads = by_role.get(LEAD, [])
    lead: str | None = leads[0] if leads else None
    if lead is None and meta.visible_lead and page.from_html:
        lead = meta.visible_lead  # a sapo the extractor left out but the page shows (not just a meta tag)
        if dedup_key(lead) in {b.key for b in page.blocks if b.role == BODY}:
            lead = None
    bylines = [BYLINE_NOTE.sub("", b) for b in by_role.get(AUTHOR, [])]
    if bylines:
        author: str | None = " - ".join(bylines)
    else:
        names = [BYLINE_PREFIX.sub("", a) for a in meta.authors]
        people = [a for a in _unique(names) if not _site_like(a, page) and not DOMAIN_LIKE.search(a)]
        author = " - ".join(people) or None
    titles = by_role.get(TITLE, [])
    title = meta.title or (titles[0] if titles else None)
    return Document(
        url=meta.url,
        site=meta.site,
        canonical_url=meta.canonical_url,
        title=title,
        lead=lead,
        paragraphs=by_role.get(BODY, []),
        captions=_unique(by_role.get(CAPTION, []) + meta.captions),
        published=meta.published,
        author=author,
        source_attribution=meta.source_attribution,
        category=meta.category,
        lang=page.lang,
        article_markup=meta.article_markup if page.from_html else None,
        listing=meta.listing,
        trace=[
            Removal(b.text, b.reason, "" if b.role in (BODY, "dropped") else b.role) for b in page.blocks
        ],
    )
