"""Each cleaning rule on small inline pages, asserting the reason a line was removed."""

from cleaners import clean_html, clean_text


def reasons(doc):
    return {r.text: r.reason for r in doc.removals}


BODY = [
    "Sáng 5/1, tại Hà Nội, Bộ Quốc phòng tổ chức Hội nghị tổng kết công tác đối ngoại quốc phòng năm qua.",
    "Phát biểu tại hội nghị, Thượng tướng nhấn mạnh công tác đối ngoại đã đạt được nhiều kết quả quan trọng.",
    "Năm tới, các cơ quan sẽ tiếp tục tăng cường hợp tác với các nước láng giềng và đối tác truyền thống.",
]


def page(*lines):
    return "\n".join(lines)


def test_header_clutter_breadcrumb_dateline_widget():
    doc = clean_text(page("Trang chủ Chính trị - Xã hội", "17:22 | 14/12/2021 GMT+7", "",
                          "Đối ngoại quốc phòng là trọng tâm", "aa", *BODY))
    why = reasons(doc)
    assert why["Trang chủ Chính trị - Xã hội"] == "breadcrumb"
    assert why["17:22 | 14/12/2021 GMT+7"] == "dateline"
    assert why["aa"] == "widget"
    assert doc.category == "Chính trị - Xã hội"
    assert doc.title == "Đối ngoại quốc phòng là trọng tâm"
    assert doc.published is not None and doc.published.isoformat() == "2021-12-14T10:22:00+00:00"
    assert doc.lead == BODY[0] and doc.paragraphs == BODY[1:]


def test_today_date_above_title_is_not_the_publication_date():
    doc = clean_text(page("Thứ bảy,  15/05/2021", "Tiêu đề của bài báo hôm nay", *BODY))
    assert reasons(doc)["Thứ bảy, 15/05/2021"] == "today_date"
    assert doc.published is None


def test_title_repeated_in_body():
    doc = clean_text(page("Tiêu đề của bài báo hôm nay", BODY[0], "Tiêu đề của bài báo hôm nay", *BODY[1:]))
    assert reasons(doc)["Tiêu đề của bài báo hôm nay"] == "repeated_title"
    assert "Tiêu đề" not in doc.text


def test_truncated_teaser_with_other_quotes_is_dropped():
    teaser = 'Với phương châm "tích cực, chủ động và có trách nhiệm", các cơ quan đã tích cực tham mưu cho Đảng...'
    full = "Với phương châm “tích cực, chủ động và có trách nhiệm”, các cơ quan đã tích cực tham mưu cho Đảng, Nhà nước."
    doc = clean_text(page("Tiêu đề của bài báo hôm nay", teaser, full, *BODY))
    assert reasons(doc)[teaser] == "truncated_teaser"
    assert full in doc.text


def test_near_duplicate_paragraph_is_dropped_once():
    first = "Công tác đối ngoại quốc phòng đã góp phần quan trọng giữ vững môi trường hòa bình, tranh thủ các điều kiện quốc tế thuận lợi."
    again = "Công tác đối ngoại quốc phòng đã góp phần quan trọng vào việc giữ vững môi trường hoà bình, tranh thủ các điều kiện quốc tế thuận lợi."
    doc = clean_text(page(first, *BODY, again))
    assert reasons(doc)[again] == "near_duplicate"
    assert doc.text.count("Công tác đối ngoại quốc phòng") == 1


def test_related_block_with_doubled_headlines_and_blurbs():
    headline = "Việt Nam-Trung Quốc nhất trí thúc đẩy hợp tác song phương"
    blurb = "Hai bên nhất trí đẩy mạnh quan hệ Đối tác hợp tác chiến lược toàn diện."
    doc = clean_text(page("Tiêu đề của bài báo hôm nay", *BODY, "Tin bài liên quan", headline, headline, blurb,
                          "Đọc nhiều", "Mùa hè sẻ chia của học sinh Mỹ", "[Video] Người truyền cảm hứng",
                          "infographic quan he doi tac toan dien viet nam phap", "Phiên bản di động"))
    why = reasons(doc)
    assert why["Tin bài liên quan"] == "related_heading"
    assert why[headline] == "related_headline"
    assert why[blurb] == "related_blurb"
    assert why["[Video] Người truyền cảm hứng"] == "media_list"
    assert why["infographic quan he doi tac toan dien viet nam phap"] == "url_slug"
    assert why["Phiên bản di động"] == "widget"
    assert doc.paragraphs == BODY[1:]


def test_inline_doubled_headline_takes_its_blurb_only():
    doubled = "Xây dựng nền ngoại giao hiện đại Xây dựng nền ngoại giao hiện đại"
    blurb = "Tổng Bí thư nhấn mạnh quan điểm này khi phát biểu tại Hội nghị."
    doc = clean_text(page("Tiêu đề của bài báo hôm nay", BODY[0], doubled, blurb, *BODY[1:]))
    why = reasons(doc)
    assert why[doubled] == "related_headline" and why[blurb] == "related_blurb"
    assert doc.paragraphs == BODY[1:]


def test_related_zone_ends_where_the_body_resumes():
    doc = clean_text(page("Tiêu đề của bài báo hôm nay", BODY[0], "Tin liên quan", "Một bài báo khác về chủ đề",
                          BODY[1], BODY[2]))
    assert reasons(doc)["Một bài báo khác về chủ đề"] == "related_headline"
    assert BODY[1] in doc.paragraphs and BODY[2] in doc.paragraphs


def test_caption_byline_and_attribution_move_to_metadata():
    caption = "Hội nghị tổng kết công tác đối ngoại quốc phòng. Ảnh: VOV"
    doc = clean_text(page("(Chinhphu.vn) - " + BODY[0], caption, *BODY[1:], "Anh Kiên", "Theo Báo Chính phủ/VGP"))
    assert doc.captions == [caption]
    assert doc.author == "Anh Kiên"
    assert doc.source_attribution == "Báo Chính phủ/VGP"
    assert "Anh Kiên" not in doc.text and "Ảnh: VOV" not in doc.text


def test_dateline_source_is_the_attribution_unless_it_is_the_site_itself():
    text = page("(Chinhphu.vn) - " + BODY[0], *BODY[1:])
    assert clean_text(text).source_attribution == "Chinhphu.vn"
    assert clean_text(text, url="https://chinhphu.vn/a-1.htm").source_attribution is None


def test_body_sentence_starting_with_theo_stays():
    line = "Theo Thượng tướng Hoàng Xuân Chiến, đến nay nước ta đã thiết lập quan hệ quốc phòng với hơn 100 nước."
    doc = clean_text(page(*BODY, line))
    assert line in doc.paragraphs and doc.source_attribution is None


ENGLISH = """<html lang="en"><head><title>Markets rally as inflation cools</title></head><body>
<nav><a href="/">Home</a> <a href="/markets">Markets</a></nav>
<article><h1>Markets rally as inflation cools</h1>
<p>Stocks rose sharply on Tuesday after new figures showed inflation cooling faster than economists had expected.</p>
<p>The benchmark index gained 2.1 percent, its biggest one-day rise since March, led by technology and retail shares.</p>
<p>Analysts said the data strengthened the case for the central bank to pause its rate increases at its next meeting.</p>
<p>Bond yields fell across the curve, with the two-year yield dropping to its lowest level in three months.</p>
</article><footer>Copyright 2026</footer></body></html>"""


def test_english_page_keeps_every_paragraph():
    doc = clean_html(ENGLISH, url="https://news.example.com/markets/rally")
    assert doc.lang == "en"
    assert doc.title == "Markets rally as inflation cools"
    assert len(doc.paragraphs) + (1 if doc.lead else 0) == 4
    assert "Bond yields fell" in doc.text


def test_site_rule_file_adds_phrases_and_prunes(tmp_path):
    from cleaners.site_rules import load_site_rules

    (tmp_path / "baomau.vn.toml").write_text(
        'widget_lines = ["Tải ứng dụng Báo Mẫu"]\nrelated_headings = ["Tin cùng tác giả"]\n'
        "drop_xpath = [\"//div[@class='promo']\"]\n", encoding="utf-8")
    rules = load_site_rules(tmp_path)
    text = page(*BODY, "Tải ứng dụng Báo Mẫu", "Tin cùng tác giả", "Một bài khác của tác giả")
    doc = clean_text(text, url="https://m.baomau.vn/a.html", site_rules=rules)
    assert reasons(doc)["Tải ứng dụng Báo Mẫu"] == "widget"
    assert reasons(doc)["Tin cùng tác giả"] == "related_heading"
    other = clean_text(text, url="https://other.vn/a.html", site_rules=rules)
    assert "Tin cùng tác giả" not in reasons(other)  # another site is not affected
    html = ("<html><body><article><h1>Tiêu đề của bài báo hôm nay</h1>"
            + "".join(f"<p>{p}</p>" for p in BODY)
            + "<div class='promo'><p>Khuyến mãi đặc biệt chỉ có hôm nay cho bạn đọc của chúng tôi.</p></div>"
            + "</article></body></html>")
    assert "Khuyến mãi" in clean_html(html, url="https://other.vn/a.html", site_rules=rules).text
    assert "Khuyến mãi" not in clean_html(html, url="https://baomau.vn/a.html", site_rules=rules).text


def test_site_rule_file_errors_are_reported(tmp_path):
    import pytest

    from cleaners.site_rules import load_site_rules

    (tmp_path / "bad.vn.toml").write_text('drop_xpatth = ["//div"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        load_site_rules(tmp_path)


def test_tag_lines_app_promos_and_comment_counters_are_widgets():
    lines = ["Từ khóa: giá vàng, SJC, tỷ giá", "Tải ứng dụng Báo Mẫu để đọc tin nhanh hơn", "Bình luận (12)",
             "Mời quý độc giả theo dõi các chương trình đã phát sóng", "© Bản quyền thuộc về Báo Mẫu"]
    doc = clean_text(page("Tiêu đề của bài báo hôm nay", *BODY, *lines))
    why = reasons(doc)
    assert all(why[line] == "widget" for line in lines)
    assert doc.paragraphs == BODY[1:]


def test_byline_with_sourcing_note_and_several_agencies():
    doc = clean_text(page(*BODY, "Thu Hà (theo Reuters)"))
    assert doc.author == "Thu Hà" and doc.source_attribution == "Reuters"
    doc = clean_text(page(*BODY, "Theo Reuters, AFP"))
    assert doc.source_attribution == "Reuters, AFP"


def test_english_widget_prefixes_do_not_touch_prose():
    prose = "Tags: the new rules apply to every company that trades in the region, officials said on Monday, adding that fines would follow."
    doc = clean_text(page("Markets rally as inflation cools", "Stocks rose sharply on Tuesday after new figures.",
                          "Tags: markets, inflation", prose))
    assert reasons(doc)["Tags: markets, inflation"] == "widget"
    assert prose in doc.paragraphs


def test_source_link_with_glued_ui_words_is_the_attribution():
    from cleaners.page import Block, Meta, Page
    from cleaners.rules import VI
    from cleaners.steps import mark_tail

    blocks = [Block(BODY[0], kind="p"), Block(BODY[1], kind="p"),
              Block("Theo Nhịp sống thị trường Copy link", kind="p", is_link=True)]
    blocks[2].drop("link_headline")
    page = Page(blocks=blocks, meta=Meta(), rules=VI, lang="vi", from_html=True)
    mark_tail(page)
    assert blocks[2].reason == "attribution" and page.meta.source_attribution == "Nhịp sống thị trường"


def test_host_names_are_never_bylines():
    html = ("<html><head><meta name='author' content='VCCorp.vn'><meta property='article:author' content='Dương Ngọc'>"
            "</head><body><article><h1>Tiêu đề của bài báo hôm nay</h1>" + "".join(f"<p>{p}</p>" for p in BODY)
            + "</article></body></html>")
    assert clean_html(html, url="https://cafef.vn/a.chn").author == "Dương Ngọc"


def test_author_prefix_is_stripped_from_markup_bylines():
    html = ("<html><head><meta name='author' content='Theo Hồ Hương'></head><body><article>"
            "<h1>Tiêu đề của bài báo hôm nay</h1>" + "".join(f"<p>{p}</p>" for p in BODY) + "</article></body></html>")
    assert clean_html(html, url="https://cafef.vn/a.chn").author == "Hồ Hương"


def test_masthead_line_is_dropped():
    html = ("<html><head><meta property='og:site_name' content='Báo điện tử Chính phủ'></head><body><article>"
            "<p>BÁO ĐIỆN TỬ CHÍNH PHỦ</p>" + "".join(f"<p>{p}</p>" for p in BODY) + "</article></body></html>")
    doc = clean_html(html, url="https://example.vn/a.htm")
    assert reasons(doc)["BÁO ĐIỆN TỬ CHÍNH PHỦ"] == "widget"  # equal to og:site_name
    doc = clean_html(html.replace("Báo điện tử Chính phủ", "baochinhphu.vn"), url="https://baochinhphu.vn/a.htm")
    assert reasons(doc)["BÁO ĐIỆN TỬ CHÍNH PHỦ"] == "masthead"  # spells the host label
    assert "BÁO ĐIỆN TỬ" not in doc.text


def test_a_page_of_dateline_teasers_is_a_listing():
    teasers = [f"(Chinhphu.vn) - Bộ trưởng vừa ban hành Thông tư số {i}/2026 quy định chi tiết về lĩnh vực thứ {i}." for i in range(5)]
    assert clean_text(page("Chính sách mới", *teasers)).listing == "5 teasers opening with a dateline (a listing page)"
    assert clean_text(page("(Chinhphu.vn) - " + BODY[0], *BODY[1:])).listing is None


def _link_page(lang_rules, *blocks):
    from cleaners.page import Block, Meta, Page

    return Page(blocks=[Block(t, kind="p", is_link=link) for t, link in blocks], meta=Meta(), rules=lang_rules,
                lang=lang_rules.lang if lang_rules else None, from_html=True)


def test_a_lone_link_paragraph_is_a_related_headline_only_on_vietnamese_pages():
    from cleaners.rules import EN, VI
    from cleaners.steps import mark_related

    prose = "The survey of 2,000 adults found that most of them had never heard the term before this year."
    english = _link_page(EN, (prose, False), ("The generation we love to dump on", True), (prose + " Again.", False))
    mark_related(english)
    assert [b.reason for b in english.blocks] == ["", "", ""]  # a linked subtitle stays
    listed = _link_page(EN, (prose, False), ("Markets fall for a third day", True), ("Oil prices hit a new high", True))
    mark_related(listed)
    assert [b.reason for b in listed.blocks] == ["", "link_headline", "link_headline"]  # a run of them goes
    vietnamese = _link_page(VI, ("Ủy ban vừa có quyết định xử phạt vi phạm hành chính.", False),
                            ("Giá vàng hôm nay tăng mạnh", True), ("Các cá nhân liên quan bị cấm giao dịch.", False))
    mark_related(vietnamese)
    assert [b.reason for b in vietnamese.blocks] == ["", "link_headline", ""]


def test_a_bare_url_is_dropped_from_text_dumps_but_kept_in_html_content():
    url = "http://www.openpetition.de/petition/online/gegen-die-tarifreform-2013"
    body = "".join(f"<p>Die geplanten Tariferhöhungen treffen viele kleine Clubs in der Stadt, Absatz {i}.</p>" for i in range(6))
    html = f"<html lang='de'><head><title>GEMA</title></head><body><article><h1>GEMA</h1>{body}<p>{url}</p></article></body></html>"
    assert url in clean_html(html).paragraphs
    assert reasons(clean_text(f"GEMA\nDie Tariferhöhungen treffen viele Clubs.\n{url}"))[url] == "url"
