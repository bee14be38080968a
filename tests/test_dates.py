from datetime import UTC, datetime

import pytest

from cleaners.dates import is_date_line, parse_iso, parse_visible


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("17:22 | 14/12/2021 GMT+7", utc(2021, 12, 14, 10, 22), True),
        ("Cập nhật: 25/08/2017 04:38", utc(2017, 8, 24, 21, 38), True),
        ("Thứ Bảy, 07/03/2026 - 08:07", utc(2026, 3, 7, 1, 7), True),
        ("14/12/2021 09:00 GMT+0", utc(2021, 12, 14, 9, 0), True),
        ("Thứ bảy, 15/05/2021", utc(2021, 5, 14, 17, 0), False),
    ],
)
def test_visible_dates_default_to_vietnam_time(text, expected, has_time):
    assert parse_visible(text) == (expected, has_time)


def test_invalid_visible_date():
    assert parse_visible("31/02/2021") == (None, False)


def test_iso_dates():
    assert parse_iso("2026-03-07T08:07:18.987+07:00") == datetime(2026, 3, 7, 1, 7, 18, 987000, tzinfo=UTC)
    assert parse_iso("2025-10-22T19:25:52Z") == utc(2025, 10, 22, 19, 25, 52)
    assert parse_iso("2026-03-07T08:01:53+0700") == utc(2026, 3, 7, 1, 1, 53)
    assert parse_iso("2026-03-07") == utc(2026, 3, 6, 17, 0)  # no zone: Vietnam time
    assert parse_iso("not a date") is None


def test_date_line_detection():
    assert is_date_line("17:22 | 14/12/2021 GMT+7")
    assert not is_date_line("Ngày 8/1/2014, tại Hà Nội, Bộ Quốc phòng tổ chức Hội nghị")


def test_iso_order_and_long_vietnamese_forms():
    assert parse_visible("2024-12-12 08:45") == (utc(2024, 12, 12, 1, 45), True)
    assert parse_visible("Thứ Bảy, Ngày 07 tháng 03 năm 2026") == (utc(2026, 3, 6, 17, 0), False)
