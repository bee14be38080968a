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
