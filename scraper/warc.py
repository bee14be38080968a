"""The raw store: each crawl run appends one new gzipped WARC file; files are never rewritten."""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path
from types import TracebackType

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dataset.inputs import KIND_HEADER
from scraper.fetch import Fetched

# Records the crawler writes for itself (robots.txt, feeds, sitemaps) carry KIND_HEADER; the clean
# flow reads only page records (dataset.inputs, which defines the header).


class RunWarc:
    """One WARC.gz file for a crawl run, written under a temporary name and renamed when complete."""

    def __init__(self, folder: Path, run_id: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"crawl-{run_id}.warc.gz"
        self._tmp = folder / f".crawl-{run_id}.{uuid.uuid4().hex}.warc.gz.tmp"
        self._stream = self._tmp.open("wb")
        self._writer = WARCWriter(self._stream, gzip=True)
        self.records = 0

    def write(self, fetched: Fetched, kind: str = "page") -> int:
        """Append the response exactly as received (or a revisit for 304); returns the record's offset."""
        offset = self._stream.tell()
        status_line = f"{fetched.status} {fetched.reason}".strip()
        # The payload is stored as received but de-chunked (the HTTP client undoes Transfer-Encoding), so
        # that header is renamed, as other crawlers do, for readers not to de-chunk it again.
        headers = [(f"X-Tinsach-Original-{k}" if k.lower() == "transfer-encoding" else k, v) for k, v in fetched.headers]
        http_headers = StatusAndHeaders(status_line, headers, protocol=fetched.http_version.upper())
        warc_headers = {"WARC-Date": fetched.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if kind != "page":
            warc_headers[KIND_HEADER] = kind
        if fetched.truncated:
            warc_headers["WARC-Truncated"] = fetched.truncated
        if fetched.requested != fetched.url:
            warc_headers["WARC-Tinsach-Requested-URI"] = fetched.requested
        if fetched.status == 304:
            record = self._writer.create_warc_record(
                fetched.url, "revisit", http_headers=http_headers, warc_headers_dict={
                    **warc_headers, "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/server-not-modified"},
            )
        else:
            record = self._writer.create_warc_record(
                fetched.url, "response", payload=io.BytesIO(fetched.body), http_headers=http_headers,
                warc_headers_dict=warc_headers, length=len(fetched.body),
            )
        self._writer.write_record(record)
        self.records += 1
        return offset

    def close(self) -> Path | None:
        """Finish the file: renamed into place if it holds records, removed if empty."""
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        if self.records == 0:
            self._tmp.unlink(missing_ok=True)
            return None
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the unfinished file."""
        self._stream.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> RunWarc:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
