"""Raw inputs: find pages in files, folders and WARCs, and read one page's bytes back from its reference.

A reference (`raw_ref`) is a string: an absolute file path, or `path#offset` for a WARC record. Batches
of references travel between tasks; page bodies never do.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import brotli
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from cleaners.urls import site_key, site_of

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
TEXT_SUFFIXES = frozenset({".txt"})
WARC_SUFFIXES = frozenset({".warc"})
# Larger pages are not news articles (the biggest article pages seen are ~2 MB; trafilatura itself
# refuses 20 MB). The cap bounds a page's cleaning time (at most ~2 s a MiB, under the 30 s limit) and
# memory (under 400 MiB for the process, bench/scaling.py), and what a gzip bomb can make us allocate.
MAX_PAGE_BYTES = 10 * 1024 * 1024


class UnreadableInput(Exception):
    """The input's bytes cannot be had: missing, too large, corrupt compression, not a page.

    `url` is the page's URL when the container named it before failing (a WARC record cut short).
    """

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


@dataclass(frozen=True, slots=True)
class RawPage:
    """One page's bytes and what the container said about them."""

    raw_ref: str
    data: bytes
    is_html: bool
    url: str | None = None
    charset: str | None = None
    status: int | None = None
    # "length" or "disconnect" when the WARC says the response was cut short (WARC-Truncated)
    truncated: str | None = None


def kind_of(path: str | os.PathLike[str]) -> str:
    """'html', 'text', 'warc' or 'unsupported', from the name (a trailing .gz is looked through)."""
    name = Path(path).name.lower()
    dot = name.rfind(".")
    if dot >= 0 and "#" in name[dot:]:  # "dup.html#1", a page saved under its URL's fragment: still an .html file
        name = name[: name.index("#", dot)]
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in WARC_SUFFIXES:
        return "warc"
    return "unsupported"


def iter_files(sources: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named or under named folders, sorted, hidden files and folders skipped."""
    for source in sources:
        path = Path(source).expanduser().resolve()
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path  # a missing file is still an input: reading it rejects it as unreadable


def discover(sources: Iterable[str | os.PathLike[str]]) -> list[str]:
    """All raw references in `sources`: one per file, one per WARC response record.

    A WARC that cannot be read to its end (or is empty) also gives a reference to the whole file,
    after those of the records read before the damage: reading it rejects it with what went wrong.
    """
    refs: list[str] = []
    for path in iter_files(sources):
        if kind_of(path) == "warc" and path.is_file():
            try:
                refs.extend(f"{path}#{offset}" for offset in warc_offsets(path))
            except Exception:  # a corrupt WARC is one input that will be rejected when read
                refs.append(str(path))
            else:
                if path.stat().st_size == 0:
                    refs.append(str(path))
        else:
            refs.append(str(path))
    return refs


# The crawler marks its own records (robots.txt, feeds, sitemaps) with this header; they are not pages.
KIND_HEADER = "WARC-Tinsach-Kind"


def warc_offsets(path: Path) -> Iterator[int]:
    """Offsets of the page response records in a WARC file (revisits and crawler records skipped).

    A record with broken headers is yielded too (reading it rejects it with the reason), unless it
    is the first: then the file is no WARC at all and UnreadableInput is raised.
    """
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        for number, record in enumerate(records):
            damage = _record_damage(record)
            if damage is not None and number == 0:
                raise UnreadableInput(f"{damage} in the first record")
            if damage is not None or (
                    record.rec_type == "response" and record.rec_headers.get_header(KIND_HEADER, "page") == "page"):
                yield records.get_record_offset()


def _record_damage(record: ArcWarcRecord) -> str | None:
    """What makes a WARC record unreadable as one, or None: a mandatory header missing or malformed."""
    headers = record.rec_headers
    for name in ("WARC-Type", "WARC-Record-ID"):
        if not headers.get_header(name):
            return f"no {name} header"
    length = headers.get_header("Content-Length")
    if length is None or not length.strip().isdigit():
        return f"Content-Length {length!r} is not a number"
    return None


def _warc_damage(path: Path) -> str:
    """Why a WARC file cannot be read to its end (for the reference to the whole file)."""
    found = 0
    try:
        for _ in warc_offsets(path):
            found += 1
    except Exception as exc:
        what = str(exc) if isinstance(exc, UnreadableInput) else f"{type(exc).__name__}: {exc}"
        return f"{what[:200]} (after {found} page records)"
    return "it reads without error"  # only when the reference was made by hand


def _read_capped(stream: io.BufferedIOBase | gzip.GzipFile, ref: str) -> bytes:
    data = stream.read(MAX_PAGE_BYTES + 1)
    if len(data) > MAX_PAGE_BYTES:
        raise UnreadableInput(f"larger than {MAX_PAGE_BYTES // (1024 * 1024)} MiB: {ref}")
    return data


def read(ref: str) -> RawPage:
    """Read one page back from its reference: `path#offset` is a record of a WARC file, any other
    reference a file path as it is ("dup.html#1" is a file of that name, not dup.html)."""
    path_part, _, offset = ref.rpartition("#")
    if not (offset.isdigit() and kind_of(path_part) == "warc"):
        path_part, offset = ref, ""
    path = Path(path_part)
    kind = kind_of(path)
    if kind == "unsupported":
        raise UnreadableInput(f"unsupported file type {path.suffix or '(none)'!r}")
    if not path.is_file():
        raise UnreadableInput(f"no such file: {path}")
    if kind == "warc":
        if offset:
            return _read_warc_record(path, int(offset), ref)
        if path.stat().st_size == 0:
            return RawPage(raw_ref=ref, data=b"", is_html=False, url=path.as_uri())
        raise UnreadableInput(f"not a readable WARC file: {_warc_damage(path)}")
    try:
        with path.open("rb") as raw:
            if path.name.lower().endswith(".gz"):
                with gzip.GzipFile(fileobj=raw) as unzipped:
                    data = _read_capped(unzipped, ref)
            else:
                data = _read_capped(raw, ref)
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableInput(f"cannot read {path.name}: {exc}") from exc
    return RawPage(raw_ref=ref, data=data, is_html=kind == "html", url=path.as_uri())


def select_warc_records(sources: Iterable[str | os.PathLike[str]], site: str,
                        since: date | None = None, until: date | None = None) -> list[str]:
    """References of page records in the WARC files under `sources` whose host is `site` (or a
    subdomain) and whose WARC-Date day is within [since, until]."""
    site = site_key(site)  # "báo.vn" and "xn--bo-mia.vn" name one site, as in the dataset's partitions
    refs: list[str] = []
    if not site:
        return refs
    for path in iter_files(sources):
        if kind_of(path) != "warc":
            continue
        with path.open("rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type != "response" or record.rec_headers.get_header(KIND_HEADER, "page") != "page":
                    continue
                host = site_of(record.rec_headers.get_header("WARC-Target-URI"))
                day = date.fromisoformat((record.rec_headers.get_header("WARC-Date") or "0001-01-01")[:10])
                if (host == site or host.endswith("." + site)) and (since is None or day >= since) and (
                        until is None or day <= until):
                    refs.append(f"{path}#{records.get_record_offset()}")
    return refs


_CHUNK = 16 * 1024
# brotli's output limit is soft (its buffer grows in blocks up to ~1.5x the limit): 64 KiB steps keep
# the overshoot past MAX_PAGE_BYTES under 100 KB.
_BR_STEP = 64 * 1024


def decode_content(stream: io.BufferedIOBase, content_encoding: str, ref: str) -> bytes:
    """Read an HTTP payload and undo its Content-Encoding (gzip, deflate, br), never past MAX_PAGE_BYTES."""
    return decode_body(_read_capped(stream, ref), content_encoding, ref)


def decode_body(data: bytes, content_encoding: str, ref: str) -> bytes:
    """Undo a Content-Encoding (gzip, deflate, br; several in order), never past MAX_PAGE_BYTES."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
    for coding in reversed(codings):
        data = _inflate(data, coding, ref)
    return data


def _inflate(data: bytes, coding: str, ref: str) -> bytes:
    out = bytearray()
    if coding in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if coding != "deflate" else (zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS)
        inflater = zlib.decompressobj(wbits)
        view = memoryview(data)
        try:
            for start in range(0, len(data), _CHUNK):
                out += inflater.decompress(view[start : start + _CHUNK], MAX_PAGE_BYTES + 1 - len(out))
                if len(out) > MAX_PAGE_BYTES or inflater.unconsumed_tail:
                    raise UnreadableInput(f"larger than {MAX_PAGE_BYTES // (1024 * 1024)} MiB once decompressed: {ref}")
        except zlib.error as exc:
            raise UnreadableInput(f"corrupt {coding} content: {exc}") from exc
        return bytes(out)
    if coding == "br":
        # One brotli input chunk can expand without limit (841 bytes took a crawl to 2.35 GB): each call
        # is given an output limit and the decoder is drained in steps of about that size, so no more
        # than MAX_PAGE_BYTES plus one step is ever held.
        decompressor = brotli.Decompressor()
        try:
            for start in range(0, len(data), _CHUNK):
                out += decompressor.process(data[start : start + _CHUNK], output_buffer_limit=_BR_STEP)
                while len(out) <= MAX_PAGE_BYTES and not decompressor.is_finished():
                    more = decompressor.process(b"", output_buffer_limit=_BR_STEP)
                    if not more:
                        break  # the decoder wants more input
                    out += more
                if len(out) > MAX_PAGE_BYTES:
                    raise UnreadableInput(f"larger than {MAX_PAGE_BYTES // (1024 * 1024)} MiB once decompressed: {ref}")
        except brotli.error as exc:
            raise UnreadableInput(f"corrupt br content: {exc}") from exc
        return bytes(out)
    raise UnreadableInput(f"unsupported Content-Encoding {coding!r}")


def _read_warc_record(path: Path, offset: int, ref: str) -> RawPage:
    url = None
    try:
        with path.open("rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)))
            damage = _record_damage(record)
            if damage is not None:
                raise UnreadableInput(f"corrupt WARC record at {offset}: {damage}")
            url = record.rec_headers.get_header("WARC-Target-URI")
            truncated = record.rec_headers.get_header("WARC-Truncated")
            status = None
            content_type = ""
            if record.http_headers is not None:
                status_line = record.http_headers.get_statuscode()
                status = int(status_line) if status_line and status_line.isdigit() else None
                content_type = record.http_headers.get_header("Content-Type") or ""
            encoding = (record.http_headers.get_header("Content-Encoding") or "") if record.http_headers else ""
            data = decode_content(record.raw_stream, encoding, ref)
            missing = getattr(record.raw_stream, "limit", 0)  # what Content-Length promised and the file lacks
            if isinstance(missing, int) and missing > 0:
                raise UnreadableInput(f"WARC record at {offset} cut short: {missing:,} bytes of its content missing")
    except UnreadableInput as exc:
        exc.url = exc.url or url  # the record named its page: the reject keeps it
        raise
    except Exception as exc:
        raise UnreadableInput(f"cannot read WARC record at {offset}: {exc}", url) from exc
    charset = None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    is_html = "html" in content_type.lower() or not content_type or data.lstrip()[:1] == b"<"
    return RawPage(raw_ref=ref, data=data, is_html=is_html, url=url, charset=charset, status=status,
                   truncated=truncated)
