import pytest

from cleaners.rules import EN, VI, phrases, rules_for


def test_phrases_refuses_duplicates_after_normalization():
    with pytest.raises(ValueError, match="duplicate"):
        phrases("Tin liên quan", "tin  liên quan")


def test_phrases_refuses_empty():
    with pytest.raises(ValueError, match="nothing"):
        phrases("---")


@pytest.mark.parametrize(
    "line",
    [
        "Hội nghị tổng kết công tác đối ngoại quốc phòng. Ảnh: VOV",
        "Thứ trưởng Bộ Quốc phòng phát biểu. Ảnh VGP",
        "Một bó hoa hồng từ 10 - 20 bông - Ảnh: H.Y.T.",
        "Y bác sĩ nội soi cho bệnh nhân. Ảnh: Bệnh viện cung cấp",
        "Toàn cảnh hội nghị (Ảnh: TTXVN)",
    ],
)
def test_vietnamese_captions(line):
    assert VI.caption_credit.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "Việc tăng giá có ảnh hưởng lớn tới người tiêu dùng",
        "Chính sách này sẽ Ảnh hưởng đến nhiều doanh nghiệp trong năm tới",
        "Ảnh: Reuters. Ông nói rằng giá tăng mạnh và kéo dài nhiều tháng liền",
    ],
)
def test_vietnamese_non_captions(line):
    assert not VI.caption_credit.search(line)


@pytest.mark.parametrize(
    ("line", "source"),
    [("Theo Nhandan", "Nhandan"), ("Theo Báo Chính phủ/VGP", "Báo Chính phủ/VGP"), ("Nguồn: VnExpress", "VnExpress")],
)
def test_attribution_lines(line, source):
    match = VI.attribution_line.search(line)
    assert match and match.group("src") == source


def test_body_sentence_starting_with_theo_is_not_attribution():
    assert not VI.attribution_line.search("Theo Thượng tướng Hoàng Xuân Chiến, đến nay, nước ta đã thiết lập quan hệ")
    assert not VI.attribution_line.search("Theo dõi")


def test_rules_for_language_tags():
    assert rules_for("vi-VN") is VI
    assert rules_for("en_US") is EN
    assert rules_for("de") is None
    assert rules_for(None) is None
