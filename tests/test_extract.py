"""HTML metadata and extraction rules on small inline pages."""

import gzip
from datetime import datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cleaners import clean_html
from cleaners.extract import _ANY_ROLE, _ROLE_SUBSTRINGS, article_scope, parse_html

ROOT = Path(__file__).resolve().parent.parent

PARAS = "".join(
    f"<p>{text}</p>"
    for text in (
        "Ủy ban Chứng khoán Nhà nước vừa có quyết định xử phạt vi phạm hành chính đối với hành vi thao túng cổ phiếu.",
        "Trong khoảng thời gian hai năm, ông này đã sử dụng 30 tài khoản chứng khoán để mua bán liên tục cổ phiếu.",
        "Kết quả kiểm tra, xác minh cho thấy không có khoản thu trái pháp luật từ hành vi vi phạm nêu trên.",
        "Các cá nhân liên quan bị cấm giao dịch chứng khoán có thời hạn hai năm kể từ ngày ban hành quyết định.",
    )
)


def page(head="", before="", after="", title="Xử phạt giám đốc tài chính vì thao túng cổ phiếu"):
    return (f"<html lang='vi'><head><title>{title} - Báo Mẫu</title>{head}</head><body>"
            f"<header><div class='date_top'>Thứ Bảy, Ngày 07 tháng 03 năm 2026</div></header>"
            f"<div class='main'>{before}<h1>{title}</h1>"
            f"<div class='meta'><a class='author'>Nguyên Minh</a><span class='post-time'> - 07/03/2026 08:47</span></div>"
            f"<div class='content'>{PARAS}</div>{after}</div></body></html>")


def test_visible_date_in_a_time_element_and_section_link_above_title():
    doc = clean_html(page(before="<div class='cate'><a href='/dau-tu-tai-chinh/'>Đầu tư tài chính</a></div>"),
                     url="https://baomau.vn/a-1.html")
    assert doc.published == datetime.fromisoformat("2026-03-07T08:47:00+07:00")
    assert doc.category == "Đầu tư tài chính"
    assert doc.author == "Nguyên Minh"
    assert doc.title == "Xử phạt giám đốc tài chính vì thao túng cổ phiếu"  # the h1, not "<title> - Báo Mẫu"


def test_related_containers_are_pruned():
    related = ("<div class='news_relate_one'><a href='/x'>Xử phạt hai cá nhân thao túng cổ phiếu SJS</a>"
               "<div class='sapo'>Hai cá nhân này vừa bị xử phạt tổng cộng 3 tỷ đồng vì thao túng cổ phiếu SJS.</div></div>"
               "<div id='box-tin-lien-quan'><ul><li><a href='/y'>Tin khác một</a></li><li><a href='/z'>Tin khác hai</a></li></ul></div>")
    doc = clean_html(page(after=related), url="https://baomau.vn/a-1.html")
    assert "Hai cá nhân này" not in doc.text and "Tin khác" not in doc.text
    assert len(doc.paragraphs) + bool(doc.lead) == 4


def test_a_related_class_on_the_article_wrapper_does_not_prune_the_article():
    html = page().replace("<div class='main'>", "<div class='main related-layout'>")
    doc = clean_html(html, url="https://baomau.vn/a-1.html")
    assert "30 tài khoản chứng khoán" in doc.text


def test_link_only_headline_paragraph_is_dropped():
    # trafilatura usually drops such paragraphs itself; when it keeps one (baodautu's "Tin nóng" list), the step does
    from cleaners.page import Block, Meta, Page
    from cleaners.rules import VI
    from cleaners.steps import mark_related

    blocks = [Block("Giá vàng hôm nay tăng mạnh", kind="p", is_link=True),
              Block("Giá vàng hôm nay tăng mạnh, theo dữ liệu của ngân hàng.", kind="p", is_link=True),
              Block("Ủy ban Chứng khoán Nhà nước vừa có quyết định xử phạt.", kind="p")]
    mark_related(Page(blocks=blocks, meta=Meta(), rules=VI, lang="vi", from_html=True))
    assert [b.reason for b in blocks] == ["link_headline", "", ""]


def reasons_of(doc):
    return {r.text: r.reason for r in doc.removals}


def test_json_ld_person_author_double_escaped_headline_and_precise_time():
    ld = ('<script type="application/ld+json">{"@type":"NewsArticle","headline":"Chi&amp;#7871;n s&amp;#7921; '
          'đẩy giá hoa","datePublished":"2026-03-07T08:01+07:00","author":[{"@type":"Organization","name":"Báo Mẫu"},'
          '{"@type":"Person","name":"Tri Túc"}]}</script>'
          '<meta property="article:published_time" content="2026-03-07T08:01:53+07:00">')
    doc = clean_html(page(head=ld, title="Chiến sự đẩy giá hoa"), url="https://baomau.vn/a-1.html")
    assert doc.title == "Chiến sự đẩy giá hoa"
    assert doc.published == datetime.fromisoformat("2026-03-07T08:01:53+07:00")
    assert doc.author in ("Tri Túc", "Tri Túc - Nguyên Minh")


def test_site_names_are_not_authors():
    head = "<meta name='author' content='Baomau.vn'><meta property='og:site_name' content='Báo Mẫu'>"
    html = page(head=head).replace("<a class='author'>Nguyên Minh</a>", "")
    assert clean_html(html, url="https://baomau.vn/a-1.html").author is None


def test_canonical_url_wins_over_the_input_url():
    doc = clean_html(page(head="<link rel='canonical' href='https://baomau.vn/goc-1.html'>"), url="file:///tmp/a.html")
    assert doc.url == "https://baomau.vn/goc-1.html" and doc.site == "baomau.vn"


# --- the article scope and the extraction cascade (speed without changing output) ---

SIDEBAR = "".join(f"<p>Tin nổi bật số {i}: một đoạn tóm tắt ngắn của bài khác trên trang.</p>" for i in range(3))


def test_article_scope_holds_headline_sapo_and_body_not_the_sidebar():
    html = (f"<html><body><nav><p>Trang chủ</p></nav><div class='wrap'><div class='col'>{SIDEBAR}</div>"
            f"<div class='main'><h1>Xử phạt giám đốc tài chính</h1>"
            f"<p class='sapo'>Sapo của bài viết nằm giữa tiêu đề và thân bài, ngoài khối nội dung.</p>"
            f"<div class='content'>{PARAS * 3}</div></div><aside>{SIDEBAR}</aside></div></body></html>")
    scope = article_scope(parse_html(html), "Xử phạt giám đốc tài chính")
    assert scope is not None and scope.get("class") == "main"  # the lowest element with both h1 and body
    assert "Sapo của bài" in scope.text_content() and "Tin nổi bật" not in scope.text_content()


def test_no_scope_with_little_paragraph_text_or_when_only_the_body_holds_it_all():
    assert article_scope(parse_html("<html><body><h1>T</h1><p>Ngắn.</p></body></html>"), "T") is None
    flat = f"<html><body><h1>Tiêu đề</h1>{PARAS}{PARAS}</body></html>"
    assert article_scope(parse_html(flat), "Tiêu đề") is None  # the body itself: nothing to narrow


def test_a_page_without_paragraph_markup_still_gives_its_text():
    # text in <div>s and <br>: trafilatura's own extractor comes up short, the fallbacks must run
    lines = "<br>".join(
        f"Dòng thứ {i} của bài viết kể về một sự kiện kinh tế quan trọng trong tuần qua tại Hà Nội." for i in range(12)
    )
    html = (f"<html lang='vi'><head><title>Tiêu đề bài</title>"
            f"<meta property='article:published_time' content='2026-03-07T08:00:00+07:00'></head>"
            f"<body><div id='menu'><a href='/'>Trang chủ</a></div><div class='noidung'>{lines}</div></body></html>")
    doc = clean_html(html, url="https://baomau.vn/a-2.html")
    assert "Dòng thứ 0 của bài viết" in doc.text and "Dòng thứ 11 của bài viết" in doc.text


def test_scoped_extraction_matches_thorough_on_the_bundled_pages():
    pages = sorted((ROOT / "raw" / "samples" / "html").glob("*.html.gz"))
    assert pages
    for path in pages:
        data = gzip.decompress(path.read_bytes())
        fast, thorough = clean_html(data), clean_html(data, thorough=True)
        assert (fast.title, fast.lead, fast.paragraphs) == (thorough.title, thorough.lead, thorough.paragraphs), path.name


@given(st.text(alphabet="abcdegilmnopqrstuy-_# ", max_size=40))
def test_role_prefilter_finds_exactly_the_role_words(text):
    assert bool(_ANY_ROLE.search(text)) == any(word in text for word in _ROLE_SUBSTRINGS)
