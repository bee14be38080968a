"""docs/schema.md must describe exactly the schemas the code writes."""

import re
from pathlib import Path

import pyarrow as pa
import pytest

from dataset.store import CLEAN_SCHEMA, REJECT_SCHEMA, SCHEMA_VERSION

DOC = (Path(__file__).resolve().parent.parent / "docs" / "schema.md").read_text(encoding="utf-8")
TYPES = {"string": pa.string(), "list<string>": pa.list_(pa.string()), "int32": pa.int32(),
         "list<int64>": pa.list_(pa.int64()),
         "timestamp[us, UTC]": pa.timestamp("us", tz="UTC")}


def table(heading):
    section = DOC.split(heading, 1)[1]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| (yes|no) \|", section, re.MULTILINE)
    names = []
    out = []
    for name, kind, nullable in rows:
        if name in names:
            break
        names.append(name)
        out.append(pa.field(name, TYPES[kind.strip()], nullable=nullable == "yes"))
    return out


@pytest.mark.parametrize(("heading", "schema"), [("## Clean rows", CLEAN_SCHEMA), ("## Rejects", REJECT_SCHEMA)])
def test_documented_columns_match_the_code(heading, schema):
    documented = table(heading)
    assert [f.name for f in documented] == schema.names
    for doc_field, field in zip(documented, schema, strict=True):
        assert doc_field.type == field.type, field.name
        assert doc_field.nullable == field.nullable, field.name


def test_documented_version_matches():
    assert f"Schema version **{SCHEMA_VERSION}**" in DOC
    assert CLEAN_SCHEMA.metadata[b"tinsach.schema_version"] == SCHEMA_VERSION.encode()
