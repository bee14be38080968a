"""Optional per-site rule files: extra phrases and XPath prunes for one site, as data, never code.

A file `<host>.toml` in a rules folder applies to that host and its subdomains:

    # cleaners/sites/example.vn.toml
    widget_lines = ["Tải ứng dụng Example"]         # whole lines that are widgets on this site
    related_headings = ["Tin cùng tác giả"]         # headings that open a related-links block
    drop_xpath = ["//div[@class='promo-box']"]      # elements removed before extraction

The bundled folder is `cleaners/sites/`; `clean_html(..., site_rules=load_site_rules(folder))` uses another.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from cleaners.rules import LanguageRules, phrases

BUNDLED = Path(__file__).resolve().parent / "sites"
_KEYS = frozenset({"widget_lines", "related_headings", "drop_xpath"})


@dataclass(frozen=True, slots=True)
class SiteRules:
    """Rules that one site adds to its language's rules."""

    host: str
    widget_lines: frozenset[str] = frozenset()
    related_headings: frozenset[str] = frozenset()
    drop_xpath: tuple[etree.XPath, ...] = ()


def load_site_rules(folder: str | Path) -> dict[str, SiteRules]:
    """Every `<host>.toml` in `folder`, checked: unknown keys, bad phrases and bad XPath are errors."""
    rules: dict[str, SiteRules] = {}
    for path in sorted(Path(folder).glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        unknown = set(data) - _KEYS
        if unknown:
            raise ValueError(f"{path.name}: unknown keys {sorted(unknown)}")
        host = path.stem.lower()
        try:
            xpaths = tuple(etree.XPath(x) for x in data.get("drop_xpath", []))
        except etree.XPathSyntaxError as exc:
            raise ValueError(f"{path.name}: bad XPath: {exc}") from exc
        rules[host] = SiteRules(
            host=host,
            widget_lines=phrases(*data.get("widget_lines", [])) if data.get("widget_lines") else frozenset(),
            related_headings=phrases(*data.get("related_headings", [])) if data.get("related_headings") else frozenset(),
            drop_xpath=xpaths,
        )
    return rules


DEFAULT_SITE_RULES: Mapping[str, SiteRules] = load_site_rules(BUNDLED)


def for_site(site: str, table: Mapping[str, SiteRules]) -> SiteRules | None:
    """The rules of `site` or of its closest parent domain ("m.example.vn" -> "example.vn")."""
    parts = site.lower().split(".")
    for i in range(len(parts) - 1):
        found = table.get(".".join(parts[i:]))
        if found is not None:
            return found
    return None


def merge(base: LanguageRules | None, site: SiteRules | None) -> LanguageRules | None:
    """The language rules with the site's phrases added."""
    if site is None or base is None:
        return base
    return replace(base, widget_lines=base.widget_lines | site.widget_lines,
                   related_headings=base.related_headings | site.related_headings)


def drop_elements(tree: etree._Element, site: SiteRules | None) -> int:
    """Remove the elements the site's `drop_xpath` selects; returns how many."""
    dropped = 0
    for xpath in site.drop_xpath if site else ():
        result = xpath(tree)
        for node in result if isinstance(result, list) else []:
            if not isinstance(node, etree._Element):
                continue
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
                dropped += 1
    return dropped
