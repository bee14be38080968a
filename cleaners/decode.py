"""Bytes to text: BOM, then strict UTF-8, then the declared charset, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w\-:.]+)""", re.IGNORECASE)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w\-:.]+)""", re.IGNORECASE)
# Labels that sites send but mean something wider (the WHATWG encoding standard's mapping).
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252",
            "us-ascii": "cp1252", "iso-8859-9": "cp1254", "tis-620": "cp874", "x-user-defined": "cp1252"}


def declared_charset(data: bytes) -> str | None:
    """The charset named in an XML declaration or a <meta> tag in the first 4 KiB, if any."""
    head = data[:4096]
    match = _XML_DECL_RE.search(head) or _META_CHARSET_RE.search(head)
    return match.group(1).decode("ascii", "ignore").lower() if match else None


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = _ALIASES.get(label.lower().strip(), label.lower().strip())
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns (text, encoding used). `declared` is the HTTP header's charset, if any.

    Valid UTF-8 with non-ASCII bytes wins over any declaration: mislabeled pages (UTF-8 declared as
    ISO-8859-1) are far more common than Latin-1 text that happens to be valid UTF-8.
    """
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for label in (declared, declared_charset(data)):
        codec = _codec(label)
        if codec and codec != "utf-8":
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                continue
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace"), best.encoding
    return data.decode("utf-8", errors="replace"), "utf-8"
