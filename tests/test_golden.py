"""Golden tests on the seed dumps: decisive with/without/meta snippets, not whole-text equality."""

import gzip
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from cleaners import clean_html, clean_text
from tests.conftest import HTML, seed

GOLDEN = tomllib.loads((Path(__file__).parent / "golden" / "seeds.toml").read_text(encoding="utf-8"))
GOLDEN_HTML = tomllib.loads((Path(__file__).parent / "golden" / "html.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def docs():
    return {prefix: clean_text(seed(prefix)) for prefix in GOLDEN}


@pytest.mark.parametrize("prefix", sorted(GOLDEN))
def test_seed(prefix, docs):
    check(docs[prefix], GOLDEN[prefix])


@pytest.mark.parametrize("name", sorted(GOLDEN_HTML))
def test_html_page(name):
    gold = GOLDEN_HTML[name]
    doc = clean_html(gzip.decompress((HTML / f"{name}.html.gz").read_bytes()), url=gold["url"])
    check(doc, gold)
    assert doc.url == gold["url"]


def check(doc, gold):
    for snippet in gold.get("with", []):
        assert snippet in doc.text, f"missing from text: {snippet!r}"
    for snippet in gold.get("without", []):
        assert snippet not in doc.text, f"clutter left in text: {snippet!r}"
    for snippet in gold.get("once", []):
        assert f"{doc.title or ''}\n{doc.text}".count(snippet) == 1, f"not exactly once: {snippet!r}"
    if "captions" in gold:
        assert doc.captions == gold["captions"]
    for field, expected in gold.get("meta", {}).items():
        value = getattr(doc, field)
        if field == "published" and expected:
            assert value == datetime.fromisoformat(expected)
        else:
            assert value == (expected or None), field


def test_every_paragraph_of_a_seed_is_from_the_input(docs):
    for prefix, doc in docs.items():
        source = seed(prefix)
        for paragraph in doc.paragraphs:
            assert paragraph in source
