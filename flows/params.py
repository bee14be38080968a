"""Typed, frozen run parameters: the same models are the CLI's settings and the Prefect UI's forms."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Vietnam runs on UTC+7 all year; schedules are written in local time.
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# Every four hours at minute 7: news sites publish around the clock; :07 avoids the top-of-hour rush.
DEFAULT_CRON = "7 */4 * * *"

# Every path a flow run receives as a parameter must resolve inside one of these folders: an operator's
# setting in the environment of the process that runs flows (os.pathsep-separated), never a run
# parameter. Unset: that process's working directory (where `tinsach serve` runs). The CLI is the
# operator and is not confined.
DATA_ROOTS_ENV = "TINSACH_DATA_ROOTS"


class OutsideDataRoots(ValueError):
    """A path parameter resolves outside the operator's data roots."""


def data_roots() -> list[str]:
    """The configured data roots, resolved (`~`, symlinks, `..`); default: the working directory."""
    configured = [r.strip() for r in os.environ.get(DATA_ROOTS_ENV, "").split(os.pathsep) if r.strip()]
    return [os.path.realpath(os.path.expanduser(r)) for r in configured] or [os.path.realpath(os.getcwd())]


def inside(path: str, roots: Sequence[str]) -> bool:
    """Whether the resolved `path` is one of `roots` or below one."""
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def path_pattern(roots: Sequence[str], cwd: str) -> str:
    """A JSON-schema `pattern` (ECMA-262 and Python alike) for paths that start inside `roots`.

    The server checks it when a run is created, so the form refuses `/etc` or `/` on submit, with
    the roots in its message. `..` is refused by UP_LEVEL; symlinks can only be seen on the machine
    that runs the flow: `check_paths` there decides.
    """
    prefixes = [_regex_literal(root.rstrip("/")) + "(?:/|$)" for root in roots]
    if inside(os.path.realpath(cwd), roots):
        prefixes.append("[^/]")  # a relative path starts in the working directory, itself inside a root
    # empty passes: a required path is refused for it by min_length, an empty sources_file means none
    return "^(?:" + "|".join([*prefixes, "$"]) + ")"


# A `..` component anywhere: refused in the form (with `not`), whatever it resolves to.
UP_LEVEL = r"(?:^|/)\.\.(?:/|$)"


def _regex_literal(text: str) -> str:
    """`text` as a regex matching itself: only syntax characters escaped (valid in ECMA-262 and Python)."""
    return re.sub(r"([\\^$.|?*+()\[\]{}])", r"\\\1", text)


def _confined_in_form(schema: dict[str, Any]) -> None:
    """Pydantic's json_schema_extra for path fields: the form gets the roots' pattern and names the roots.

    Read when the schema is generated, i.e. in the process that registers the deployments, from its
    environment and working directory (the same as the flows' under `tinsach serve`).
    """
    roots, cwd = data_roots(), os.getcwd()
    pattern = path_pattern(roots, cwd)

    def constrain(node: dict[str, Any]) -> None:
        if node.get("type") == "string":
            node["pattern"] = pattern
            node["not"] = {"pattern": UP_LEVEL}
        for child in [node.get("items"), *node.get("anyOf", [])]:
            if isinstance(child, dict):
                constrain(child)

    constrain(schema)
    relative = f" (relative paths start in {os.path.realpath(cwd)})" if inside(os.path.realpath(cwd), roots) else ""
    note = f"Must be inside {' or '.join(roots)}{relative}, without `..`."
    schema["description"] = f"{schema.get('description', '')} {note}".strip()


def check_paths(params: BaseModel, roots: Sequence[str] | None = None) -> None:
    """Refuse a run whose path parameters resolve (symlinks and `..` followed) outside the data roots."""
    roots = list(roots) if roots is not None else data_roots()
    outside = []
    for name, path in _path_values(params):
        try:
            real = os.path.realpath(path)
        except ValueError:  # an embedded NUL byte
            real = None
        if real is None or not inside(real, roots):
            outside.append(f"params.{name} = {path!r}" + (f" (resolves to {real})" if real and real != path else ""))
    if outside:
        raise OutsideDataRoots(
            f"refused: {'; '.join(outside)}: outside the data roots {', '.join(roots)}. "
            f"Runs may only read and write there; the operator sets the roots with {DATA_ROOTS_ENV} "
            "in the environment of the process that runs flows.")


def _path_values(params: BaseModel) -> Iterator[tuple[str, str]]:
    """(parameter name, path) for every path field of `params` (its PATH_FIELDS)."""
    for field in getattr(params, "PATH_FIELDS", ()):
        value = getattr(params, field)
        if isinstance(value, str) and value:  # empty: refused by min_length, or "none" (sources_file)
            yield field, value
        elif isinstance(value, list | tuple):
            yield from ((f"{field}[{i}]", item) for i, item in enumerate(value))


# A path parameter is never empty; its field adds the data roots' pattern (`_confined_in_form`) and is
# listed in its model's PATH_FIELDS, which `check_paths` checks when the flow starts.
DataPath = Annotated[str, Field(min_length=1)]


class CleanParams(BaseModel):
    """Clean local pages (HTML, text dumps, WARC files) into the dataset."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    PATH_FIELDS: ClassVar[tuple[str, ...]] = ("sources", "out")

    sources: list[DataPath] = Field(
        default_factory=lambda: ["raw"], min_length=1, json_schema_extra=_confined_in_form,
        description="Files or folders to clean: .html/.htm, .txt dumps, .warc/.warc.gz, any of them .gz. "
                    "Paths are on the machine that runs the flow.",
    )
    out: DataPath = Field("clean", json_schema_extra=_confined_in_form, description="Folder of the Parquet dataset to append to.")
    batch_size: int = Field(100, ge=1, le=10_000, description="Pages per task (about 100 keeps tasks cheap and progress visible).")


class CrawlParams(BaseModel):
    """Fetch new pages from the configured sites and URL lists, then clean them."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    PATH_FIELDS: ClassVar[tuple[str, ...]] = ("sources_file", "raw_dir", "out")

    sources_file: str | None = Field("sources.toml", json_schema_extra=_confined_in_form,
                                     description="sources.toml with the [[site]] feeds/sitemaps to crawl; empty for none.")
    urls: list[str] = Field(default_factory=list, description="Extra article URLs to fetch (http/https only).")
    raw_dir: DataPath = Field("raw", json_schema_extra=_confined_in_form, description="Raw store: WARC files go to <raw_dir>/warc/.")
    out: DataPath = Field("clean", json_schema_extra=_confined_in_form, description="Folder of the Parquet dataset to append to.")
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
    PATH_FIELDS: ClassVar[tuple[str, ...]] = ("raw_dir", "out")

    site: str = Field(..., min_length=3, max_length=253, pattern=r"^[A-Za-z0-9.\-]+$",
                      description="Host name of the site, e.g. vnexpress.net (subdomains included).")
    since: date | None = Field(None, description="Only pages fetched on or after this day (WARC date; files: modification day).")
    until: date | None = Field(None, description="Only pages fetched on or before this day.")
    raw_dir: DataPath = Field("raw", json_schema_extra=_confined_in_form, description="Raw store to read.")
    out: DataPath = Field("clean", json_schema_extra=_confined_in_form,
                          description="Dataset to write. A new folder gives a fresh re-clean with the current rules.")
    batch_size: int = Field(100, ge=1, le=10_000, description="Pages per task.")


class ServeConfig(BaseModel):
    """What `tinsach serve` registers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cron: str = Field(DEFAULT_CRON, description="Schedule of the crawl-and-clean deployment (cron, in `timezone`).")
    timezone: str = Field(DEFAULT_TIMEZONE, description="IANA time zone of the schedule.")
    sources_file: str = Field("sources.toml", description="sources.toml for the scheduled crawl.")
    paused: bool = Field(False, description="Register the schedule paused.")
