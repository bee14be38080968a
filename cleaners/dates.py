"""Publication dates: ISO values from markup and the visible Vietnamese formats, Vietnam time by default."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# Vietnamese sites print local time without a zone; Vietnam has used UTC+7 without DST since 1975.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")

_DATE = (
    r"(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})"
    # "Ngày 07 tháng 03 năm 2026": the long Vietnamese form
    r"|ngày\s+(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s*(?:năm|,)\s*(?P<y2>\d{4})"
    # "2024-12-12 08:45": ISO order, as some sites print it
    r"|(?<!\d)(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})(?!\d)"
)
_TIME = r"(?P<H>\d{1,2})\s*[:hH]\s*(?P<M>\d{2})(?:\s*:\s*(?P<S>\d{2}))?(?:\s*(?P<ampm>[AaPp][Mm]))?"
_ZONE = r"\(?\s*(?:GMT|UTC)\s*(?P<z>[+\-]\s*\d{1,2})(?::?(?P<zm>\d{2}))?\s*\)?"
DATE_RE = re.compile(_DATE, re.IGNORECASE)
TIME_RE = re.compile(r"(?<![\d/])" + _TIME + r"(?![\d/])")
ZONE_RE = re.compile(_ZONE, re.IGNORECASE)
# Everything that may stand on a date line besides the date itself: separators and filler words.
_FILLER_RE = re.compile(r"[\s|,\-–—:()/.]+|\b(?:lúc|ngày|giờ|at|on)\b", re.IGNORECASE)


def parse_iso(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp from markup, as UTC; a value without zone is taken as Vietnam time."""
    if not value:
        return None
    value = value.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    value = re.sub(r"([+\-]\d{2})(\d{2})$", r"\1:\2", value)  # "+0700" -> "+07:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return _to_utc(parsed)


def parse_visible(text: str) -> tuple[datetime | None, bool]:
    """A date written for readers ("17:22 | 14/12/2021 GMT+7"): (UTC timestamp or None, had a time of day)."""
    date = DATE_RE.search(text)
    if not date:
        return None, False
    day, month, year = (int(date[k] or date[k + "2"] or date[k + "3"]) for k in ("d", "m", "y"))
    rest = text[: date.start()] + " " + text[date.end() :]
    time = TIME_RE.search(rest)
    hour = minute = second = 0
    if time:
        hour, minute, second = int(time["H"]), int(time["M"]), int(time["S"] or 0)
        ampm = (time["ampm"] or "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
    tz = VIETNAM_TZ
    zone = ZONE_RE.search(text)
    if zone:
        offset = int(zone["z"].replace(" ", ""))
        minutes = int(zone["zm"] or 0) * (1 if offset >= 0 else -1)
        tz = timezone(timedelta(hours=offset, minutes=minutes))
    try:
        parsed = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None, False
    return _to_utc(parsed), time is not None


def is_date_line(text: str, extra_words: re.Pattern[str] | None = None) -> bool:
    """True when a line holds a date and nothing else but times, zones, weekdays and labels."""
    if len(text) > 80 or not DATE_RE.search(text):
        return False
    rest = ZONE_RE.sub(" ", TIME_RE.sub(" ", DATE_RE.sub(" ", text)))
    if extra_words is not None:
        rest = extra_words.sub(" ", rest)
    return not _FILLER_RE.sub("", rest)


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM_TZ)
    return value.astimezone(UTC)
