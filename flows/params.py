"""Typed, frozen run parameters: the same models are the CLI's settings and the Prefect UI's forms."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Vietnam runs on UTC+7 all year; schedules are written in local time.
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# Every four hours at minute 7: news sites publish around the clock; :07 avoids the top-of-hour rush.
DEFAULT_CRON = "7 */4 * * *"


class CleanParams(BaseModel):
    """Clean local pages (HTML, text dumps, WARC files) into the dataset."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: list[str] = Field(
        default_factory=lambda: ["raw"], min_length=1,
        description="Files or folders to clean: .html/.htm, .txt dumps, .warc/.warc.gz, any of them .gz. "
                    "Paths are on the machine that runs the flow.",
    )
    out: str = Field("clean", min_length=1, description="Folder of the Parquet dataset to append to.")
    batch_size: int = Field(100, ge=1, le=10_000, description="Pages per task (about 100 keeps tasks cheap and progress visible).")


class CrawlParams(BaseModel):
    """Fetch new pages from the configured sites and URL lists, then clean them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources_file: str | None = Field("sources.toml", description="sources.toml with the [[site]] feeds/sitemaps to crawl; empty for none.")
    urls: list[str] = Field(default_factory=list, description="Extra article URLs to fetch (http/https only).")
    raw_dir: str = Field("raw", min_length=1, description="Raw store: WARC files go to <raw_dir>/warc/.")
    out: str = Field("clean", min_length=1, description="Folder of the Parquet dataset to append to.")
    delay_seconds: float = Field(1.0, ge=0.0, le=60.0, description="Seconds between two requests to one host (a longer robots.txt Crawl-delay wins).")
    respect_robots: bool = Field(True, description="Obey robots.txt. Turn off only for sites you own.")
    refetch: bool = Field(False, description="Fetch URLs fetched before again (conditional GET: unchanged pages cost a 304).")

    @field_validator("urls")
    @classmethod
    def _http_urls_only(cls, urls: list[str]) -> list[str]:
        """Only http(s) URLs with a host: file://, ftp://, javascript: and the like are refused with the form.

        Addresses are checked again when fetched (every redirect hop): loopback and private hosts
        are refused there (SSRF) unless the operator allows them.
        """
        cleaned = []
        for url in (u.strip() for u in urls):
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) URL with a host: {url!r}")
            if parts.username or parts.password:
                raise ValueError(f"URLs with credentials are refused: {parts.scheme}://…@{parts.hostname}")
            cleaned.append(url)
        return cleaned


class BackfillParams(BaseModel):
    """Re-clean raw pages of one site, optionally of a date range, into a dataset."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    site: str = Field(..., min_length=3, max_length=253, pattern=r"^[A-Za-z0-9.\-]+$",
                      description="Host name of the site, e.g. vnexpress.net (subdomains included).")
    since: date | None = Field(None, description="Only pages fetched on or after this day (WARC date; files: modification day).")
    until: date | None = Field(None, description="Only pages fetched on or before this day.")
    raw_dir: str = Field("raw", min_length=1, description="Raw store to read.")
    out: str = Field("clean", min_length=1, description="Dataset to write. A new folder gives a fresh re-clean with the current rules.")
    batch_size: int = Field(100, ge=1, le=10_000, description="Pages per task.")


class ServeConfig(BaseModel):
    """What `tinsach serve` registers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cron: str = Field(DEFAULT_CRON, description="Schedule of the crawl-and-clean deployment (cron, in `timezone`).")
    timezone: str = Field(DEFAULT_TIMEZONE, description="IANA time zone of the schedule.")
    sources_file: str = Field("sources.toml", description="sources.toml for the scheduled crawl.")
    paused: bool = Field(False, description="Register the schedule paused.")
