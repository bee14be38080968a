"""Cleaning rules as data, grouped by concept and language, compiled by one checked helper.

A leak of clutter is fixed by adding a phrase or pattern here (plus a regression fixture), never by code
that names a site. Phrases are compared with `normalize.dedup_key`, so case, spacing, quotes and tone
placement do not matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cleaners.normalize import dedup_key


def phrases(*items: str) -> frozenset[str]:
    """Compile whole-line phrases to dedup keys; refuses empty phrases and duplicates."""
    keys = [dedup_key(item) for item in items]
    if any(not key for key in keys):
        raise ValueError(f"a phrase normalizes to nothing: {items!r}")
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"duplicate phrases: {dupes}")
    return frozenset(keys)


def pattern(*alternatives: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """Compile alternatives into one anchored-by-caller regex; each must compile on its own."""
    for alt in alternatives:
        re.compile(alt, flags)
    return re.compile("|".join(f"(?:{alt})" for alt in alternatives), flags)


@dataclass(frozen=True, slots=True)
class LanguageRules:
    """The clutter vocabulary of one language."""

    lang: str
    # Whole lines that are page widgets, not text ("aa" font-size widget, "Copy link", "Scroll").
    widget_lines: frozenset[str]
    # Whole lines that open a block of links to other articles; what follows is dropped until body resumes.
    related_headings: frozenset[str]
    # A line that starts with one of these and then names one article ("Xem thêm: ...").
    related_prefix: re.Pattern[str]
    # The first crumb of a breadcrumb line ("Trang chủ Chính trị - Xã hội").
    home_crumbs: tuple[str, ...]
    # An image caption: searched at the end of a line ("... Ảnh: VOV", "... - Ảnh: H.Y.T.").
    caption_credit: re.Pattern[str]
    # A whole line naming the source of a syndicated article ("Theo Nhandan", "Nguồn: VGP").
    attribution_line: re.Pattern[str]
    # Labels in front of a visible date ("Cập nhật:", "Ngày đăng:").
    date_labels: re.Pattern[str]
    # Day names that make a date line a "today" widget when there is no time ("Thứ bảy, 15/05/2021").
    weekdays: re.Pattern[str]
    # A line that starts like this and stays short is a widget: tag lists, app promos, "follow us".
    widget_prefix: re.Pattern[str] = re.compile(r"(?!x)x")
    # Whether the script marks most words (Vietnamese tones): then a line of bare lowercase ASCII words
    # is a URL slug, not prose.
    accented: bool = False
    # Whether the language's news sites put single related headlines between body paragraphs as a bare
    # link paragraph (Vietnamese sites do); elsewhere only runs of link paragraphs are dropped.
    lone_link_headlines: bool = False


# Language-independent share/print/UI words seen on sites in every language (matched as whole lines).
COMMON_WIDGETS = phrases(
    "Copy link", "Share", "Tweet", "Email", "Print", "Facebook", "Twitter", "Zalo", "Messenger",
    "Advertisement", "Scroll", "Scroll to top", "Back to top", "Loading", "Close", "Menu",
    "Facebook Twitter", "Facebook Zalo", "Zalo Facebook", "Facebook Twitter Zalo", "Video", "Podcast",
    "Audio", "Play", "Pause", "Subscribe", "Sign in", "Log in", "Login",
)

VI = LanguageRules(
    lang="vi",
    widget_lines=phrases(
        "aa", "A- A+", "A A A",  # font-size widget (seed 004)
        "Xem lịch sử tin bài", "Xin chờ trong giây lát...", "Phiên bản di động", "Phiên bản máy tính",
        "Sao chép liên kết", "Đã sao chép", "Chia sẻ", "Chia sẻ bài viết", "Lưu", "Lưu bài viết", "Lưu tin",
        "In bài", "In bài viết", "Bản in", "Gửi bài", "Gửi email", "Quay lại", "Trở lại", "Về trang chủ",
        "Lên đầu trang", "Đầu trang", "Đọc tiếp", "Thu gọn", "Xem toàn bộ", "Theo dõi", "Theo dõi chúng tôi",
        "Nghe", "Nghe bài viết", "Nghe đọc bài", "Đọc bài", "Dừng", "Bình luận", "Gửi bình luận", "Bình luận bài viết này", "Bình luận bài viết",
        "Viết bình luận", "Ý kiến bạn đọc", "Ý kiến của bạn", "Thích", "Trả lời", "Báo xấu",
        "Tải ứng dụng", "Tải app", "Quảng cáo", "Tài trợ", "Nguồn", "Tags", "Từ khóa", "Chủ đề",
        "Gửi", "Hủy", "Đóng", "Mới nhất", "Cũ nhất", "Xem thêm bình luận", "Đăng nhập", "Đăng ký",
        "Theo dõi trên Google News", "Tin nổi bật", "Trang chủ", "Tin tức", "Hình ảnh", "Ảnh", "Clip",
        "Cỡ chữ", "Kích thước chữ", "Lắng nghe", "Nghe bài", "Đọc to", "Về đầu trang", "Trở về đầu trang",
        "Gửi ý kiến", "Gửi tin", "Ý kiến", "Xem bình luận", "In trang", "Tăng cỡ chữ", "Giảm cỡ chữ",
        "Chia sẻ qua Facebook", "Chia sẻ qua Zalo", "Chia sẻ Facebook", "Chia sẻ Zalo", "Sao chép link",
    ),
    related_headings=phrases(
        "Tin bài liên quan", "Tin liên quan", "Bài liên quan", "Bài viết liên quan", "Tin tức liên quan",
        "Các tin bài khác", "Các tin khác", "Tin khác", "Bài khác", "Các bài viết khác",
        "Đọc nhiều", "Đọc nhiều nhất", "Tin đọc nhiều", "Xem nhiều", "Xem nhiều nhất", "Tin xem nhiều",
        "Tin cùng chuyên mục", "Cùng chuyên mục", "Tin cùng chủ đề", "Bài cùng chủ đề", "Xem thêm",
        "Đọc thêm", "Tin mới", "Tin mới nhất", "Tin mới cập nhật", "Có thể bạn quan tâm",
        "Bạn có thể quan tâm", "Bạn đọc quan tâm", "Tiêu điểm", "Tin tiêu điểm", "Tin tiếp theo",
        "Bài tiếp theo", "Tin nóng", "Tin hay", "Nổi bật", "Video nổi bật", "Video xem nhiều",
        "Multimedia", "Infographic", "Infographics", "Emagazine", "Tin ảnh", "Sự kiện", "Dòng sự kiện",
        "Tin trước", "Tin sau", "Bài đọc nhiều", "Xem tiếp", "Về trang Chủ đề",
    ),
    related_prefix=pattern(
        r"^(?:xem thêm|đọc thêm|tin liên quan|bài liên quan|xem tiếp|mời xem|mời quý độc giả xem|>>)\s*[:>»-]\s*\S",
        r"^(?:xem thêm|đọc thêm|xem tiếp|đọc tiếp)\s+(?:trên|tại|ở|các|những|tin|bài)\b[^.]{0,60}$",
    ),
    home_crumbs=("Trang chủ", "Home"),
    widget_prefix=pattern(
        r"^(?:từ khóa|từ khoá|tags?|chủ đề|thẻ)\s*:",
        r"^(?:tải|cài đặt)\s+(?:ngay\s+)?(?:ứng dụng|app)\b",
        r"^đọc (?:báo|tin|bài)\s+(?:trên|tại|qua)\s+(?:app|ứng dụng)\b",
        r"^(?:mời|kính mời) (?:quý )?(?:độc giả|bạn đọc|bạn)\s+(?:theo dõi|xem|đón đọc|đọc|tham gia)\b",
        r"^theo dõi\b.{0,40}\btrên\s+(?:google news|zalo|facebook|youtube|tiktok)\b",
        r"^(?:©|copyright\b|bản quyền\b)",
        r"^(?:ý kiến|bình luận)\s*\(\d+\)$",
    ),
    # "Ảnh: VOV", "Ảnh VGP", "- Ảnh: H.Y.T.", "(Ảnh: Bệnh viện cung cấp)". Without a colon the credit must
    # start with a capital or digit, so the common word "ảnh hưởng" (influence) never matches.
    caption_credit=pattern(
        r"(?:^|[\s.(\-–—|])(?:Ảnh|Nguồn ảnh|Ảnh minh họa|Ảnh minh hoạ|Đồ họa|Đồ hoạ|Video|Clip|Photo)\s*:\s*(?:[^.!?]|\.(?!\s)){1,60}[.)]?$",
        r"(?:^|[\s.(\-–—|])(?:Ảnh|Nguồn ảnh|Đồ họa|Đồ hoạ)\s+(?-i:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ0-9])[\w./&\- ]{0,50}[.)]?$",
        r"^\(?(?:Ảnh|Ảnh minh họa|Ảnh minh hoạ|Ảnh chụp màn hình)\)?\.?$",
        r"\((?:Ảnh|Ảnh minh họa|Ảnh minh hoạ)(?:\s*:\s*[^()]{1,60})?\)\.?$",
    ),
    # The source must start with a capital; a comma may only separate further capitalized sources
    # ("Theo Reuters, AFP"), so "Theo Thượng tướng X, đến nay ..." (a body sentence) never matches.
    attribution_line=pattern(
        r"^(?:Theo|Nguồn|Nguồn tin|Nguồn bài)\s*:?\s*(?P<src>(?-i:[A-ZĐÂĂÊÔƠƯ0-9])[^,;:.!?]{0,60}?"
        r"(?:\.(?:vn|com|net|org)(?:\.vn)?)?[^,;:!?]{0,20}(?:,\s*(?-i:[A-ZĐÂĂÊÔƠƯ])[^,;:.!?]{0,30})*)\.?$",
    ),
    date_labels=pattern(r"(?:cập nhật|ngày đăng|đăng lúc|đăng ngày|thời gian đăng|xuất bản|đăng|ngày)\s*:?"),
    weekdays=pattern(r"\b(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|2|3|4|5|6|7)|chủ\s+nhật|CN)\b"),
    accented=True,
    lone_link_headlines=True,
)

EN = LanguageRules(
    lang="en",
    widget_lines=phrases(
        "Share this article", "Share on Facebook", "Share on Twitter", "Copy link to clipboard",
        "Read more", "Comments", "Leave a comment", "Show comments", "Hide comments", "Listen",
        "Listen to this article", "Save", "Save article", "Sign up", "Newsletter", "Skip to content",
        "Skip to main content", "Next article", "Previous article", "Reprints", "Reprints & Permissions",
    ),
    related_headings=phrases(
        "Related", "Related articles", "Related stories", "Related news", "Related coverage",
        "Related content", "More from", "More stories", "More news", "Most read", "Most popular",
        "Most viewed", "Recommended", "Recommended for you", "You may also like", "You might also like",
        "Trending", "Trending now", "Latest news", "Latest stories", "Editor's picks", "Top stories",
        "Around the web", "Also read", "Read next", "What to read next",
    ),
    related_prefix=pattern(r"^(?:read more|related|see also|also read|read also|more)\s*[:>»-]\s*\S"),
    home_crumbs=("Home",),
    widget_prefix=pattern(
        r"^(?:tags?|topics?|filed under)\s*:",
        r"^(?:©|copyright\b|all rights reserved\b)",
        r"^(?:download|get) (?:the|our) app\b",
        r"^follow us on\b",
    ),
    caption_credit=pattern(
        r"(?:^|[\s(\-–—|])(?:Photo|Photograph|Image|Picture|Credit|Photo credit|Illustration)\s*:\s*(?:[^.!?]|\.(?!\s)){1,60}[.)]?$",
        r"\((?:Photo|Image|Credit)(?:\s*:\s*[^()]{1,60})?\)\.?$",
    ),
    attribution_line=pattern(r"^(?:Source|Sources)\s*:\s*(?P<src>[^,;:!?]{1,60})\.?$"),
    date_labels=pattern(r"(?:updated|published|posted|last updated|first published)\s*(?:on|at)?\s*:?"),
    weekdays=pattern(r"\b(?:mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\b"),
)

# Class/id fragments of containers that hold links to other articles, tags or most-read lists, in the
# ASCII slugs Vietnamese and English sites use ("news_relate_one", "box-tin-lien-quan", "tinkhac").
# trafilatura already prunes "related" ("elated"), "tags", share and comment boxes; these add the
# spellings it misses. Matched case-insensitively; an element holding the page's <h1> or most of its
# text is never pruned.
RELATED_CONTAINER_TOKENS = (
    "relate", "lienquan", "lien-quan", "lien_quan", "tinkhac", "tin-khac", "tin_khac", "othernews",
    "other-news", "other_news", "news-other", "box-other", "xemthem", "xem-them", "docthem", "doc-them",
    "mostview", "most-view", "most_view", "docnhieu", "doc-nhieu", "xemnhieu", "xem-nhieu", "mostread",
    "most-read", "hashtag", "box-tag", "tag-box", "tags-", "-tags", "keyword", "suggest", "recommend",
    "cungchuyenmuc", "cung-chuyen-muc", "same-category", "tin-moi", "tinmoi", "newest", "latest-news",
)
if not all(re.fullmatch(r"[a-z_\-]+", t) for t in RELATED_CONTAINER_TOKENS):
    raise ValueError("RELATED_CONTAINER_TOKENS must be plain lowercase slug fragments")

LANGUAGES: dict[str, LanguageRules] = {rules.lang: rules for rules in (VI, EN)}


def rules_for(lang: str | None) -> LanguageRules | None:
    """The rule set for a language code ("vi", "vi-VN", "en_US"), or None when there is none."""
    if not lang:
        return None
    return LANGUAGES.get(lang.replace("_", "-").split("-")[0].lower())


def any_phrase(lines: Iterable[str], keys: frozenset[str]) -> bool:
    """True when one of `lines` is a listed phrase."""
    return any(dedup_key(line) in keys for line in lines)
