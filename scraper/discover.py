"""Article URLs from RSS/Atom feeds and XML sitemaps (urlset, sitemap index, news sitemaps)."""

from __future__ import annotations

from lxml import etree

from scraper.urls import normalize

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)


def _local(tag: object) -> str:
    return tag.split("}", 1)[-1].lower() if isinstance(tag, str) else ""


def parse_feed(data: bytes, base: str) -> list[str]:
    """Item links of an RSS or Atom feed, in feed order, normalized and deduplicated."""
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    links: dict[str, None] = {}
    for item in root.iter():
        name = _local(item.tag)
        if name not in ("item", "entry"):
            continue
        found = None
        for child in item:
            child_name = _local(child.tag)
            if child_name == "link":
                href = child.get("href")
                if href and child.get("rel", "alternate") == "alternate":
                    found = href
                elif (child.text or "").strip():
                    found = child.text
            elif child_name == "guid" and found is None and child.get("isPermaLink", "true") != "false":
                found = child.text
            if found:
                break
        url = normalize(found or "", base)
        if url:
            links.setdefault(url, None)
    return list(links)


def parse_sitemap(data: bytes, base: str) -> tuple[list[str], list[str]]:
    """(page URLs, child sitemap URLs) of a sitemap or sitemap index."""
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError:
        return [], []
    if root is None:
        return [], []
    pages: dict[str, None] = {}
    children: dict[str, None] = {}
    is_index = _local(root.tag) == "sitemapindex"
    for node in root.iter():
        if _local(node.tag) != "loc":
            continue
        container = node.getparent()
        parent = _local(container.tag) if container is not None else ""
        url = normalize(node.text or "", base)
        if not url:
            continue
        if is_index or parent == "sitemap":
            children.setdefault(url, None)
        elif parent == "url":
            pages.setdefault(url, None)
    return list(pages), list(children)
