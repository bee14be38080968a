"""Property tests: on any input the cleaners never raise, never invent text, and always give the same answer."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners import clean_html, clean_text
from cleaners.normalize import clean_space

VI_WORDS = ["giá", "vàng", "hôm", "nay", "Tin", "liên", "quan", "Ảnh:", "VOV", "Theo", "Nhandan", "aa", "...", "…",
            "Trang", "chủ", "Đọc", "nhiều", "17:22", "|", "14/12/2021", "GMT+7", "[Video]", "Xem", "thêm:", "“", "”",
            "hoà", "hòa", "Thượng", "tướng", ",", ".", "Copy", "link", "(Dân", "trí)", "-", "Anh", "Kiên"]
lines = st.lists(st.sampled_from(VI_WORDS), min_size=0, max_size=25).map(" ".join)
pages = st.lists(lines, min_size=0, max_size=30).map("\n".join)
anything = st.text(max_size=2000)
# derandomize: CI runs the same examples every time, so a failure is reproducible, not a coin toss
FAST = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
SENTENCE_WORDS = ["giá", "vàng", "thị", "trường", "ngân", "hàng", "tăng", "giảm", "mạnh", "trong", "phiên", "sáng",
                  "nay", "theo", "chuyên", "gia", "doanh", "nghiệp", "xuất", "khẩu", "năm", "2026", "người", "dân"]
sentences = st.lists(st.sampled_from(SENTENCE_WORDS), min_size=8, max_size=30).map(lambda w: " ".join(w).capitalize() + ".")
bodies = st.lists(sentences, min_size=2, max_size=12, unique=True).map("\n".join)


@FAST
@given(st.one_of(pages, anything))
def test_clean_text_never_raises_never_invents_and_is_deterministic(text):
    doc = clean_text(text)
    source = "\n".join(clean_space(line) for line in text.splitlines())
    for paragraph in ([doc.lead] if doc.lead else []) + doc.paragraphs + doc.captions:
        assert paragraph in source  # every kept block comes from the input, as it was
    again = clean_text(text)
    assert (again.text, again.title, again.author, again.captions, again.published) == (
        doc.text, doc.title, doc.author, doc.captions, doc.published)


@FAST
@given(st.lists(lines, min_size=0, max_size=15), st.sampled_from(["p", "div", "li", "h2", "figcaption", "td"]))
def test_clean_html_never_raises_and_is_deterministic(paragraphs, tag):
    html = "<html><body><article>" + "".join(f"<{tag}>{p}</{tag}>" for p in paragraphs) + "</article></body></html>"
    doc = clean_html(html, url="https://example.vn/a.html")
    assert clean_html(html, url="https://example.vn/a.html").text == doc.text


@FAST
@given(st.binary(max_size=3000))
def test_bytes_of_any_kind_never_raise(data):
    clean_html(data)
    clean_text(data.decode("utf-8", "replace"))


@FAST
@given(st.sampled_from(["", "Tiêu đề bài báo hôm nay\n", "Trang chủ Kinh doanh\n17:22 | 14/12/2021\nTiêu đề bài\n"]), bodies)
def test_cleaning_clean_output_again_changes_nothing(header, body):
    # Idempotence on article-like pages (sentences): the clean text, cleaned again, is itself. On
    # degenerate input (lines of one repeated word) the title/lead guesses can shift: see issue 8.
    doc = clean_text(header + body)
    again = clean_text(doc.text)
    assert again.text == doc.text
