"""HTML to blocks and metadata: markup metadata (JSON-LD, meta tags, breadcrumbs) plus trafilatura's main text."""

from __future__ import annotations

import html as htmllib
import json
import re
import threading
from collections.abc import Iterator
from copy import deepcopy
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml import etree

from cleaners.dates import parse_iso, parse_visible
from cleaners.normalize import clean_space, dedup_key
from cleaners.page import Block, Meta
from cleaners.rules import RELATED_CONTAINER_TOKENS
from cleaners.urls import absolute_claim, identity, site_of

# lxml parser objects must not be shared between threads (the flow cleans batches in threads): one each.
_PARSERS = threading.local()


def _parser() -> lxml.html.HTMLParser:
    parser: lxml.html.HTMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    return parser


class MarkupError(ValueError):
    """Markup the HTML parser cannot build whole: the page's text would be silently cut (libxml2 stops
    building elements nested deeper than 255 levels, a guard against resource exhaustion)."""


_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "published_time", "dc.date.issued", "dc.date", "dcterms.created", "date",
    "sailthru.date", "parsely-pub-date", "og:published_time", "datecreated",
)
_AUTHOR_META = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author", "byl")
_TITLE_META = ("og:title", "twitter:title", "title", "dc.title")
_DESC_META = ("og:description", "description", "twitter:description", "dc.description")
_SECTION_META = ("article:section", "articlesection", "section", "category")
_HOME_CRUMBS = frozenset(dedup_key(s) for s in ("Trang chủ", "Home", "Trang nhất", "Homepage"))


def parse_html(text: str) -> lxml.html.HtmlElement:
    """Parse decoded HTML into an lxml tree (the text is re-encoded, so any declared charset is moot).

    A document with nothing parseable in it gives an empty <html><body/></html>, not an error; markup
    nested deeper than the parser builds raises MarkupError (its text would be lost without a word).
    """
    parser = _parser()
    try:
        tree = lxml.html.document_fromstring(text.encode("utf-8", "surrogatepass"), parser=parser)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring(b"<html><body></body></html>", parser=parser)
    for error in parser.error_log:
        if error.type_name == "ERR_RESOURCE_LIMIT":
            raise MarkupError(f"markup nested too deep for the parser ({error.message.split(',')[0]})")
    return tree


# Elements found by their class/id/rel/itemprop/itemtype words: one pass over the tree fills every role
# (each role as its own XPath costs a full traversal: ~40 ms on a 500 KB page).
_ROLE_WORDS: dict[str, re.Pattern[str]] = {
    "related": re.compile("|".join(RELATED_CONTAINER_TOKENS)),
    "breadcrumb": re.compile(r"breadcrumb"),
    "caption": re.compile(r"caption"),
    "author": re.compile(r"(?:^|[\s#])(?:author|author-name|byline)(?:$|\s)"),
    "date": re.compile(r"date|time|publish|posted|ngay|thoigian"),
    "source": re.compile(r"(?:^|[\s#_-])(?:source|nguon|news-source)(?:$|\s)"),
}


def _trie_pattern(words: tuple[str, ...]) -> str:
    """One regex for any of `words`, as a trie ("b(?:ox-tag|readcrumb|yline)"): Python's engine tries every
    branch of a flat alternation at every position, which on long utility-class strings costs ~4x more."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 and "" not in node else "(?:" + "|".join(branches) + ")"
        return group + ("?" if "" in node else "")

    return build(trie)


# Every word the role patterns need: candidates are found with this, then the role patterns decide.
_ROLE_SUBSTRINGS = (*RELATED_CONTAINER_TOKENS, "breadcrumb", "caption", "author", "byline", "date", "time",
                    "publish", "posted", "ngay", "thoigian", "source", "nguon")
_ANY_ROLE = re.compile(_trie_pattern(_ROLE_SUBSTRINGS))
_CONTAINERS = frozenset({"div", "section", "aside", "ul", "ol", "table", "article"})
_NOT_DATES = frozenset({"script", "style", "body", "html", "meta", "link"})
# A related-looking container that holds more than this share of the page's text is the article itself
# (some themes put "related" in the class of the main wrapper); it is kept.
PRUNE_MAX_TEXT_SHARE = 0.4


def _elements(tree: lxml.html.HtmlElement, xpath: str) -> list[lxml.html.HtmlElement]:
    result = tree.xpath(xpath)
    return [n for n in result if isinstance(n, lxml.html.HtmlElement)] if isinstance(result, list) else []


def element_roles(tree: lxml.html.HtmlElement) -> dict[str, list[lxml.html.HtmlElement]]:
    """Elements per role ("related", "breadcrumb", "caption", "author", "date"), in document order."""
    found: dict[str, list[lxml.html.HtmlElement]] = {role: [] for role in _ROLE_WORDS}
    found["caption"] = []
    # one location path, not a union ("a | b"): libxml2 merges the sets of a union by comparing every
    # node of one with every node of the other, quadratic on a page with many of both
    nodes = tree.xpath("//*[@class or @id or self::figcaption]")
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, lxml.html.HtmlElement):
            continue
        if node.tag == "figcaption":
            found["caption"].append(node)
            continue
        attrib = node.attrib
        words = f"{attrib.get('class', '')} #{attrib.get('id', '')}".lower()
        if not _ANY_ROLE.search(words):
            continue
        for role, pattern in _ROLE_WORDS.items():
            if pattern.search(words):
                found[role].append(node)
    # microdata and ARIA say it without a class: rel/itemprop author, BreadcrumbList, aria-label
    authors = set(found["author"])
    found["author"] += [n for n in _elements(tree, "//*[@rel='author' or @itemprop='author']") if n not in authors]
    crumbs = set(found["breadcrumb"])
    marked = [n for n in _elements(tree, "//*[contains(@itemtype, 'BreadcrumbList') or @aria-label='breadcrumb']")
              if n not in crumbs]
    found["breadcrumb"] = marked[::-1] + found["breadcrumb"]
    found["related"] = [n for n in found["related"] if n.tag in _CONTAINERS and not n.xpath(".//h1")]
    found["caption"] = [n for n in found["caption"] if n.tag == "figcaption" or not n.xpath(".//figcaption")]
    found["date"] = [n for n in found["date"] if n.tag not in _NOT_DATES]
    return found


def prune_related(tree: lxml.html.HtmlElement, roles: dict[str, list[lxml.html.HtmlElement]] | None = None) -> int:
    """Remove containers of related links, tags and most-read lists in place; returns how many."""
    roles = roles if roles is not None else element_roles(tree)
    body = tree.find("body")
    total = len(body.text_content()) if body is not None else 0
    pruned = 0
    for node in roles["related"]:
        parent = node.getparent()
        if parent is None or (total and len(node.text_content()) > PRUNE_MAX_TEXT_SHARE * total):
            continue
        parent.remove(node)
        pruned += 1
    return pruned


def _texts(nodes: Any) -> Iterator[str]:
    for node in nodes if isinstance(nodes, list) else []:
        text = clean_space(node) if isinstance(node, str) else clean_space(node.text_content())
        if text:
            yield text


def _meta_values(tree: lxml.html.HtmlElement) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = meta.get("content")
        if key and content and content.strip():
            values.setdefault(key, []).append(clean_space(_unescape(content)))
    return values


def _first(values: dict[str, list[str]], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if values.get(key):
            return values[key][0]
    return None


def _json_ld(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, @graph lists and nested lists flattened."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            found.append(node)
            if "@graph" in node:
                walk(node["@graph"])

    for script in tree.xpath('//script[@type="application/ld+json"]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            walk(json.loads(raw, strict=False))
        except ValueError:
            continue  # broken JSON-LD is common; the meta tags usually say the same
    return found


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    return {str(k).lower() for k in (kind if isinstance(kind, list) else [kind])}


_ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
                  "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "liveblogposting"}


def _unescape(value: str) -> str:
    # Some sites entity-encode JSON-LD strings twice ("&amp;#7871;"); unescape until stable (bounded).
    for _ in range(3):
        if "&" not in value:
            break
        value = htmllib.unescape(value)
    return value


def _ld_str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return clean_space(_unescape(value))
    return None


def _ld_people(value: Any) -> list[str]:
    """Person names from a JSON-LD author value (organizations are not bylines)."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, str):
            name = _ld_str(item)
        elif isinstance(item, dict) and "organization" not in " ".join(_types(item)):
            name = _ld_str(item.get("name"))
        else:
            name = None
        if name and not name.startswith("http"):
            names.append(name)
    return names


def _breadcrumb(nodes: list[lxml.html.HtmlElement], ld: list[dict[str, Any]]) -> list[str]:
    for node in ld:
        if "breadcrumblist" in _types(node):
            items = node.get("itemListElement") or []
            flat: list[dict[str, Any]] = []
            for item in items if isinstance(items, list) else []:
                flat.extend(i for i in (item if isinstance(item, list) else [item]) if isinstance(i, dict))
            flat.sort(key=lambda i: int(i.get("position") or 0) if str(i.get("position", "")).isdigit() else 0)
            names = []
            for item in flat:
                inner = item.get("item")
                name = _ld_str(item.get("name")) or (_ld_str(inner.get("name")) if isinstance(inner, dict) else None)
                if name:
                    names.append(name)
            if names:
                return names
    for node in nodes[:3]:
        links = [clean_space(a.text_content()) for a in node.iter("a")]
        crumbs = [c for c in links if c] or [c for c in _texts([node])]
        if crumbs:
            return crumbs
    return []


def _site_names(url: str | None, values: dict[str, list[str]], ld: list[dict[str, Any]]) -> list[str]:
    names = list(values.get("og:site_name", [])) + list(values.get("application-name", []))
    for node in ld:
        types = _types(node)
        if "organization" in " ".join(types) or "website" in types:
            name = _ld_str(node.get("name"))
            if name:
                names.append(name)
        publisher = node.get("publisher")
        if isinstance(publisher, dict) and _ld_str(publisher.get("name")):
            names.append(_ld_str(publisher.get("name")) or "")
    if url:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
        if host:
            names.append(host)
    return [n for n in names if n]


def page_meta(tree: lxml.html.HtmlElement, url: str | None,
              roles: dict[str, list[lxml.html.HtmlElement]] | None = None) -> Meta:
    """Metadata stated in markup: JSON-LD first, then meta tags, then conventional elements."""
    roles = roles if roles is not None else element_roles(tree)
    root = tree.getroottree().getroot()
    roles = {k: [n for n in v if n.getroottree().getroot() is root] for k, v in roles.items()}  # not pruned
    values = _meta_values(tree)
    ld = _json_ld(tree)
    article = next((n for n in ld if _types(n) & _ARTICLE_TYPES), {})

    # The URLs the page claims as its own; one on another site than the fetched URL is kept as a claim,
    # never taken as the page's identity (a copy on evil.example.vn must not replace the real article).
    links = tree.xpath('//link[@rel="canonical"]/@href')
    claims = [str(links[0]) if isinstance(links, list) and links else None, _first(values, ("og:url",))]
    canonical_url = next((c for c in (absolute_claim(url, claim) for claim in claims) if c), None)
    url = identity(url, claims)

    h1 = next(_texts(tree.xpath("//h1")), None)
    title = _ld_str(article.get("headline")) or _first(values, _TITLE_META) or h1
    if title is None:
        title = next(_texts(tree.xpath("//title")), None)
    if h1 and title and dedup_key(h1) != dedup_key(title) and dedup_key(h1) in dedup_key(title):
        title = h1  # <title>/og:title often carry " - Site name"; the h1 is the headline as shown

    published = _published(tree, values, article, roles["date"])

    authors = _ld_people(article.get("author"))
    authors += [clean_space(t) for t in _texts(roles["author"]) if len(t) <= 60]
    for key in _AUTHOR_META:
        for value in values.get(key, []):
            authors.extend(v.strip() for v in value.split(";") if v.strip() and not v.strip().startswith("http"))
    for key, vals in values.items():  # other "<vendor>:author" tags state the byline too
        if key.endswith(":author") and key not in _AUTHOR_META:
            for value in vals:
                authors.extend(v.strip() for v in value.split(";") if v.strip() and not v.strip().startswith("http"))

    crumbs = [c for c in _breadcrumb(roles["breadcrumb"], ld) if dedup_key(c) not in _HOME_CRUMBS]
    category = crumbs[0] if crumbs else (_ld_str(article.get("articleSection")) or _first(values, _SECTION_META))
    if category is None and title:
        category = _section_above_title(tree, title)

    description = _ld_str(article.get("description")) or _first(values, _DESC_META)
    visible_lead = _visible(tree, description) if description and len(description) > 30 else None

    captions = []
    for text in _texts(roles["caption"]):
        if text not in captions and len(text) <= 1000:
            captions.append(text)

    lang = tree.get("lang") or _first(values, ("og:locale", "inlanguage", "language", "content-language"))
    lang = lang or _ld_str(article.get("inLanguage"))
    sources = frozenset(dedup_key(t) for t in _texts(roles["source"]) if 2 <= len(t) <= 60)
    return Meta(
        url=url, site=site_of(url), canonical_url=canonical_url, site_names=_site_names(url, values, ld), title=title,
        description=description, visible_lead=visible_lead, published=published, authors=authors,
        category=category, lang_hint=lang, captions=captions, source_names=sources,
        article_markup=bool(article) or "article" in values.get("og:type", [""])[0].lower()
        or any(k in values for k in ("article:published_time", "article:section")),
    )


def _published(tree: lxml.html.HtmlElement, values: dict[str, list[str]], article: dict[str, Any],
               date_nodes: list[lxml.html.HtmlElement]) -> datetime | None:
    """Publication time: JSON-LD, meta tags, <time datetime>, then a visible date-with-time in a date/time element."""
    candidates = [parse_iso(_ld_str(article.get("datePublished")))]
    candidates += [parse_iso(v) for key in _PUBLISHED_META for v in values.get(key, [])]
    candidates += [parse_iso(v) for v in tree.xpath("//time/@datetime")]
    found = [c for c in candidates if c is not None]
    if found:
        best = found[0]
        for other in found[1:]:
            # the same minute stated with seconds elsewhere (tuoitre: JSON-LD "08:01", meta "08:01:53")
            if abs((other - best).total_seconds()) < 60 and other.second and not best.second:
                best = other
        return best
    for node in date_nodes:
        text = clean_space(node.text_content())
        if 8 <= len(text) <= 80:
            when, has_time = parse_visible(text)
            if when is not None and has_time:
                return when
    return None


def _section_above_title(tree: lxml.html.HtmlElement, title: str) -> str | None:
    """A lone short link just above the headline, the usual place of a section label."""
    key = dedup_key(title)
    heading = next((n for n in tree.xpath("//*[self::h1 or contains(@class, 'title')]")
                    if dedup_key(clean_space(n.text_content())) == key), None)
    if heading is None:
        return None
    for sibling in list(heading.itersiblings(preceding=True))[:3]:
        if not isinstance(sibling.tag, str):
            continue
        text = clean_space(sibling.text_content())
        links = [clean_space(a.text_content()) for a in sibling.iter("a")]
        if text and len(text) <= 40 and len(text.split()) <= 6 and links == [text] and dedup_key(text) not in _HOME_CRUMBS:
            return text
    return None


def _visible(tree: lxml.html.HtmlElement, text: str) -> str | None:
    """The text of the innermost body element that shows `text` (a meta description shown as the sapo)."""
    key = dedup_key(text)
    prefix = " ".join(text.split()[:4])
    # XPath computes string values in C; only elements that start with the first words are compared.
    candidates = tree.xpath("//body//*[starts-with(normalize-space(.), $p)]", p=prefix)
    for node in reversed(candidates if isinstance(candidates, list) else []):
        if isinstance(node, lxml.html.HtmlElement) and node.tag not in ("script", "style", "noscript"):
            shown = clean_space(node.text_content())
            if dedup_key(shown) == key:
                return shown
    return None


# The article's own container, found before trafilatura runs: its cost grows with the tree it is given,
# and the headline-plus-body subtree of a news page is a fraction of the page (header, menus, sidebars,
# footers). The body is the lowest element holding most of the page's paragraph text; the scope is the
# lowest element holding both it and the headline, so the title, sapo and byline around the body stay.
SCOPE_TEXT_SHARE = 0.6
SCOPE_MIN_CHARS = 800


def paragraph_mass(tree: lxml.html.HtmlElement) -> tuple[int, dict[lxml.html.HtmlElement, int]]:
    """Characters of <p> text on the page, and under each element that holds some."""
    body = tree.find("body")
    mass: dict[lxml.html.HtmlElement, int] = {}
    total = 0
    for p in body.iter("p") if body is not None else ():
        size = len(" ".join(p.text_content().split()))
        if size:
            total += size
            for ancestor in p.iterancestors():
                mass[ancestor] = mass.get(ancestor, 0) + size
    return total, mass


def article_scope(tree: lxml.html.HtmlElement, title: str | None,
                  mass: tuple[int, dict[lxml.html.HtmlElement, int]] | None = None) -> lxml.html.HtmlElement | None:
    """The smallest element holding the headline and most paragraph text, or None (use the whole page)."""
    total, under = mass if mass is not None else paragraph_mass(tree)
    if total < SCOPE_MIN_CHARS:
        return None  # little <p> text: the article is laid out some other way; let trafilatura see it all
    # the lowest element with the share: every other element with it is its ancestor, holding more
    content = min((e for e, m in under.items() if m >= SCOPE_TEXT_SHARE * total), key=under.__getitem__)
    key = dedup_key(title) if title else ""
    headline = next((h for h in tree.iter("h1") if key and key in dedup_key(h.text_content())), None)
    if headline is None:
        scope = content.getparent()  # no headline shown: one level up keeps a sapo or byline next to the body
    else:
        around = set(headline.iterancestors())
        scope = next((a for a in (content, *content.iterancestors()) if a in around or a is headline), None)
    return None if scope is None or scope.tag in ("body", "html") else scope


def narrowed(tree: lxml.html.HtmlElement, scope: lxml.html.HtmlElement | None) -> lxml.html.HtmlElement:
    """A new document whose body is `scope` (moved out of `tree`), or `tree` itself without a scope."""
    if scope is None:
        return tree
    page = lxml.html.Element("html")
    lang = tree.get("lang")
    if lang:
        page.set("lang", lang)
    etree.SubElement(page, "body").append(scope)
    return page


_BLOCK_TAGS = {"p": "p", "head": "heading", "quote": "quote", "item": "li", "row": "cell", "code": "p"}


# trafilatura's default cascade runs readability and jusText after its own extractor and keeps its own
# result unless that result is short, has no paragraph text, is table-dominated or holds sanitized-away
# elements. Its own extractor alone ("fast") is ~40% cheaper, so it runs first and the full cascade only
# when its result shows one of those signs: the same output as the default where the default would
# have kept its own extraction anyway (bench/english_eval.py measures both on the same pages).
FULL_CASCADE_BELOW_CHARS = 1000
_DOUBTFUL_XPATH = ("descendant::*[self::figure or self::aside or self::nav or self::footer or self::iframe"
                   " or self::noscript or self::button or self::input or self::select][1]")


def _doubtful(result: Any) -> bool:
    body: etree._Element | None = getattr(result, "body", None)
    if body is None or len(getattr(result, "text", None) or "") < FULL_CASCADE_BELOW_CHARS:
        return True
    paragraphs = len(body.findall(".//p"))
    return paragraphs == 0 or len(body.findall(".//table")) > paragraphs or bool(body.xpath(_DOUBTFUL_XPATH))


def _trafilatura(tree: lxml.html.HtmlElement, url: str | None, fast: bool) -> Any:
    return trafilatura.bare_extraction(
        tree, url=url, include_comments=False, include_tables=True, include_images=False,
        include_links=True, deduplicate=False, with_metadata=False, fast=fast,
    )


Cascade = Literal["always", "doubtful", "never"]

# trafilatura and its fallback extractors have steps whose cost grows with the square of what they are
# given: libxml2 merges the node sets of "//p//text()" without an index (each text node found is
# compared with all found before it), jusText walks past every short paragraph between a short one and
# its nearest long one (145,624 short <p> took 202 s). So a tree of more than EXTRACT_MAX_ELEMENTS
# elements, or of more than FALLBACK_MAX_ELEMENTS when the fallback extractors (the steeper) run on it,
# goes to them in consecutive pieces of at most EXTRACT_PIECE_ELEMENTS, each under copies of its
# content's ancestors (tag and attributes: the article's container is still recognized), and the cost
# grows linearly with the page. A piece read alone can keep what trafilatura would have left out of the
# whole (a piece of nothing but the navigation boxes that end a Wikipedia page), so real pages stay
# whole: the largest measured has 9,888 elements (Wikipedia, 1 MB, given whole by `thorough`; 9,227 in
# its article's container), and the fallbacks ran on at most 2,173 (wikipedia-4) on the 132 pages of
# ../shared/devset-readability and the bundled samples. At the limits trafilatura takes ~1.3 s on
# 20,000 short <p> (1.3 MiB) and ~2 s on 5,000 headings or list items the fallbacks read (0.35 MiB).
# Pieces of 1,000 were the fastest measured on pages of 2 MiB (500 to 8,000 tried).
EXTRACT_MAX_ELEMENTS = 20_000
FALLBACK_MAX_ELEMENTS = 5_000
EXTRACT_PIECE_ELEMENTS = 1_000


def html_blocks(tree: lxml.html.HtmlElement, url: str | None, cascade: Cascade = "doubtful",
                fallback_max: int = FALLBACK_MAX_ELEMENTS) -> list[Block]:
    """The main text as blocks, by trafilatura (its own dedup off: its cache is global and order-dependent).

    `cascade`: when trafilatura's fallback extractors (readability, jusText) run after its own — "always"
    (trafilatura's default), "doubtful" (only when its own result looks short or deficient) or "never".
    A tree of more than EXTRACT_MAX_ELEMENTS elements, or of more than `fallback_max` when the fallbacks
    run, is read in pieces of EXTRACT_PIECE_ELEMENTS.
    """
    size = int(tree.xpath("count(descendant-or-self::*)"))
    if size > EXTRACT_MAX_ELEMENTS or (cascade == "always" and size > fallback_max):
        return [block for piece in pieces(tree, EXTRACT_PIECE_ELEMENTS) for block in _main_text(piece, url, cascade)]
    result = _trafilatura(tree, url, fast=cascade != "always")
    if cascade == "doubtful" and _doubtful(result):
        if size > fallback_max:
            return [block for piece in pieces(tree, EXTRACT_PIECE_ELEMENTS) for block in _main_text(piece, url, cascade)]
        result = _trafilatura(tree, url, fast=False)
    return _result_blocks(result)


def _larger_than(root: etree._Element, limit: int) -> set[etree._Element]:
    """The elements of `root` (itself included) with more than `limit` elements in their subtree."""
    large: set[etree._Element] = set()
    open_sizes: list[int] = []
    for event, element in etree.iterwalk(root, events=("start", "end"), tag=etree.Element):
        if event == "start":
            open_sizes.append(1)
            continue
        size = open_sizes.pop()
        if size > limit:
            large.add(element)
        if open_sizes:
            open_sizes[-1] += size
    return large


def pieces(root: lxml.html.HtmlElement, limit: int) -> Iterator[lxml.html.HtmlElement]:
    """`root`'s content, in document order, as new trees of at most `limit` elements (about: the copied
    ancestors add theirs), each holding whole subtrees (one is split only when it holds more than
    `limit`) under shallow copies (tag and attributes) of their ancestors. `root` is left as it is."""
    large = _larger_than(root, limit)
    if root not in large:
        yield root
        return
    originals: list[etree._Element] = []  # the path from `root` to where the piece's content goes
    copies: list[etree._Element] = []  # their copies in the current piece
    size = 0

    def container(path: list[etree._Element]) -> etree._Element:
        """The copy of path[-1] in the current piece, made (with its ancestors' copies) if needed."""
        nonlocal size
        kept = 0
        while kept < min(len(originals), len(path)) and originals[kept] is path[kept]:
            kept += 1
        del originals[kept:], copies[kept:]
        for original in path[kept:]:
            attrib: dict[str, str] = {str(k): str(v) for k, v in original.attrib.items()}
            copy = (etree.SubElement(copies[-1], original.tag, attrib) if copies
                    else lxml.html.Element(original.tag, attrib))
            originals.append(original)
            copies.append(copy)
            size += 1
        return copies[-1]

    for path, item in _units(root, [root], large):
        cost = 0 if isinstance(item, str) else sum(1 for _ in item.iter(etree.Element))
        if copies and size + cost > limit:
            yield copies[0]
            originals.clear()
            copies.clear()
            size = 0
        parent = container(path)
        if not isinstance(item, str):
            parent.append(deepcopy(item))  # its tail too: the text that follows it in `parent`
            size += cost
        elif len(parent):
            parent[-1].tail = (parent[-1].tail or "") + item
        else:
            parent.text = (parent.text or "") + item
    if copies:
        yield copies[0]


def _units(element: etree._Element, path: list[etree._Element],
           large: set[etree._Element]) -> Iterator[tuple[list[etree._Element], etree._Element | str]]:
    """The content of a large element in document order, as (path of the element it sits in, a subtree
    that is not large or a text); large subtrees are opened, their text and tail given as texts."""
    if element.text:
        yield path, element.text
    for child in element:
        if child not in large:
            yield path, child
            continue
        yield from _units(child, [*path, child], large)
        if child.tail:
            yield path, child.tail


def _main_text(tree: lxml.html.HtmlElement, url: str | None, cascade: Cascade) -> list[Block]:
    result = _trafilatura(tree, url, fast=cascade != "always")
    if cascade == "doubtful" and _doubtful(result):
        result = _trafilatura(tree, url, fast=False)
    return _result_blocks(result)


def _result_blocks(result: Any) -> list[Block]:
    body = getattr(result, "body", None)
    if body is None:
        return []
    blocks: list[Block] = []
    for node in body.iter():
        kind = _BLOCK_TAGS.get(node.tag) if isinstance(node.tag, str) else None
        if kind is None or any(isinstance(a.tag, str) and a.tag in _BLOCK_TAGS for a in node.iterancestors()):
            continue  # nested blocks (a <p> inside an <item>) are read with their container
        if node.tag == "row":  # one block per table row, cells separated by " | "
            text = " | ".join(c for c in (clean_space("".join(cell.itertext())) for cell in node) if c)
        else:
            text = clean_space("".join(node.itertext()))
        if not text:
            continue
        refs = clean_space(" ".join("".join(r.itertext()) for r in node.iter("ref")))
        blocks.append(Block(text, kind=kind, is_link=refs == text, link_chars=len(refs)))
    return blocks
