from cleaners.decode import declared_charset, decode_bytes

TEXT = "Giá vàng giảm, vẫn cao hơn thế giới"


def test_utf8_wins_over_a_wrong_declaration():
    html = f'<html><head><meta charset="iso-8859-1"></head><body>{TEXT}</body></html>'.encode()
    text, encoding = decode_bytes(html, "iso-8859-1")
    assert TEXT in text and encoding == "utf-8"


def test_declared_windows_1258_is_used():
    # windows-1258 writes Vietnamese with combining tone marks; NFC happens later, in cleaning
    body = "Ha\u0300 N\u00f4\u0323i".encode("cp1258")  # how windows-1258 spells "Hà Nội"
    html = b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1258"><p>' + body + b"</p>"
    assert declared_charset(html) == "windows-1258"
    text, encoding = decode_bytes(html)
    assert encoding == "cp1258"
    import unicodedata

    assert "Hà Nội" in unicodedata.normalize("NFC", text)


def test_bom_and_http_header_charset():
    assert decode_bytes("chào".encode("utf-8-sig"))[0] == "chào"
    latin = "café crème".encode("latin-1")
    assert decode_bytes(latin, "latin-1") == ("café crème", "cp1252")


def test_legacy_vietnamese_font_encodings_are_recognized():
    from cleaners.lang import legacy_vietnamese_encoding

    tcvn3 = "Hµ Néi, ngµy 8/1, Bé Quèc phßng tæ chøc Héi nghÞ tæng kÕt c«ng t¸c ®èi ngo¹i quèc phßng giai ®o¹n 2011-2013."
    vni = "Haø Noäi, ngaøy 8/1, Boä Quoác phoøng toå chöùc Hoäi nghò toång keát coâng taùc ñoái ngoaïi quoác phoøng."
    assert legacy_vietnamese_encoding(tcvn3) == "TCVN3"
    assert legacy_vietnamese_encoding(vni) == "VNI"
    for prose in ("Hà Nội, ngày 8/1, Bộ Quốc phòng tổ chức Hội nghị tổng kết công tác đối ngoại quốc phòng.",
                  "Die schöne Stadt für alle: über die Brücke gehen wir zur Straße und hören Musik am Fluss.",
                  "Le garçon naïf était déjà là où la forêt commence, près de l'église Noël dernier."):
        assert legacy_vietnamese_encoding(prose) is None


def test_a_legacy_encoded_page_is_rejected_with_the_reason(tmp_path):
    from dataset.runner import process_one

    sentences = [f"Hµ Néi, ngµy {i}/1, Bé Quèc phßng tæ chøc Héi nghÞ tæng kÕt c«ng t¸c ®èi ngo¹i lÇn thø {i}." for i in range(8)]
    page = ("<html><head><meta charset='windows-1252'></head><body><article>"
            + "".join(f"<p>{s}</p>" for s in sentences) + "</article></body></html>")
    (tmp_path / "old.html").write_bytes(page.encode("cp1252"))
    outcome = process_one(str(tmp_path / "old.html"))
    assert outcome.reason == "unreadable" and "TCVN3" in outcome.message
