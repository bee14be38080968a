"""Write the hostile-input corpus (issue 8) into a folder: broken, mislabeled, huge and adversarial pages.

Deterministic (fixed seeds, no clock) and stdlib-only apart from warcio, which the project depends on.
Big inputs are written in blocks, so the generator never holds one of them in memory: the gzip bomb
(> 1 GiB once inflated) is one deflate block of spaces repeated behind a full flush, ~1 MB on disk.

    uv run python -m tests.hostile.make_corpus OUT_DIR      # writes the files, prints their names

`tests/test_hostile.py` generates the corpus into a temporary folder and says what each input must
become; the names below are the keys it uses.
"""

from __future__ import annotations

import gzip
import io
import random
import sys
import unicodedata
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.hostile import shapes

MiB = 1024 * 1024

# Vietnamese sentences from parts: every article of the corpus gets its own (seeded) sentences, so no
# two inputs are duplicates or near-duplicates of each other and no paragraph recurs across pages
# (the commit would otherwise drop them as duplicates or site boilerplate).
_SUBJECTS = [
    "Bộ Tài chính", "Ngân hàng Nhà nước", "Ủy ban nhân dân thành phố", "Các doanh nghiệp xuất khẩu",
    "Nhiều hộ nông dân ở đồng bằng sông Cửu Long", "Tổng cục Thống kê", "Bệnh viện Bạch Mai",
    "Giới phân tích tài chính", "Người tiêu dùng ở Hà Nội", "Sở Giao thông vận tải", "Các trường đại học",
    "Hiệp hội Lương thực Việt Nam", "Cục Hàng không", "Lực lượng cứu hộ", "Các nhà đầu tư nước ngoài",
    "Trung tâm Dự báo khí tượng thủy văn", "Bộ Y tế", "Công ty điện lực miền Bắc",
]
_VERBS = [
    "cho biết sẽ điều chỉnh", "đang theo dõi sát", "vừa công bố kế hoạch về", "đề xuất tăng cường",
    "lo ngại về", "kiến nghị tháo gỡ", "đã hoàn thành việc rà soát", "dự kiến mở rộng", "ghi nhận sự thay đổi của",
    "tiếp tục đẩy mạnh", "khuyến cáo người dân về", "phối hợp kiểm tra",
]
_OBJECTS = [
    "giá lúa gạo trên thị trường", "lãi suất cho vay mua nhà", "tiến độ dự án đường vành đai", "chất lượng nước sinh hoạt",
    "nguồn cung điện cho mùa khô", "chi phí vận chuyển hàng hóa", "số ca sốt xuất huyết", "kế hoạch tuyển sinh năm nay",
    "hoạt động xuất khẩu thủy sản", "tình trạng ùn tắc giao thông", "giá vàng miếng", "nguồn vốn đầu tư công",
    "mực nước các hồ thủy điện", "công tác phòng chống cháy rừng",
]
_WHEN = [
    "trong quý tới", "từ đầu tháng này", "trong tuần qua", "sau kỳ nghỉ lễ", "vào cuối năm",
    "trong sáu tháng đầu năm", "ngay trong đêm qua", "trước mùa mưa bão",
]
_CLAUSES = [
    "nhằm bảo đảm quyền lợi của người dân", "dù còn nhiều khó khăn về nguồn lực", "theo số liệu mới nhất",
    "sau khi lấy ý kiến các chuyên gia", "để kịp thời ứng phó với diễn biến mới", "với mức tăng khoảng {n} phần trăm",
    "khi nhu cầu trong nước tăng mạnh", "trong bối cảnh kinh tế thế giới biến động", "tại {n} tỉnh thành",
    "với tổng kinh phí hơn {n} tỷ đồng",
]


def vi_sentences(seed: int, count: int) -> list[str]:
    """`count` distinct Vietnamese news sentences (NFC), the same for the same seed."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        clause = rng.choice(_CLAUSES).format(n=rng.randint(2, 999))
        sentence = (f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_WHEN)}, "
                    f"{clause}, theo báo cáo số {seed}-{len(out) + 1}.")
        if sentence not in out:
            out.append(sentence)
    return out


def vi_paragraphs(seed: int, count: int, per: int = 2) -> list[str]:
    """`count` paragraphs of `per` sentences each."""
    sentences = vi_sentences(seed, count * per)
    return [" ".join(sentences[i : i + per]) for i in range(0, len(sentences), per)]


ARTICLE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="{charset}"><title>{title}</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="2026-03-07T08:07:18+07:00">
<link rel="canonical" href="{url}">
</head><body><nav><a href="/">{home}</a> <a href="/kinh-te">{section}</a></nav>
<article><h1>{title}</h1>
{body}
</article>
<footer>© 2026</footer></body></html>"""


def article(title: str, paragraphs: list[str], url: str, charset: str = "utf-8", lang: str = "vi",
            home: str = "Trang chủ", section: str = "Kinh tế") -> str:
    """A complete article page (article markup, a publication date, nav and footer around the body)."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return ARTICLE.format(title=title, body=body, url=url, charset=charset, lang=lang, home=home, section=section)


def cp1258_bytes(text: str) -> bytes:
    """Vietnamese as windows-1258 writes it: precomposed base letters (â ê ô ơ ư ă đ), tones as combining marks."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in decomposed[1:] if c in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out += (base + tones).encode("cp1258")
    return bytes(out)


# Vietnamese typed in the legacy font encodings, as such pages reach us (bytes read as Windows-1252):
# "Hà Nội, ngày 8/1, Bộ Quốc phòng tổ chức Hội nghị tổng kết công tác đối ngoại ..." (hand-converted).
_TCVN3 = ("Hµ Néi, ngµy {n}/1, Bé Quèc phßng tæ chøc Héi nghÞ tæng kÕt c«ng t¸c ®èi ngo¹i quèc phßng "
          "giai ®o¹n 2011-20{n:02d} vµ triÓn khai nhiÖm vô n¨m tíi.")
_VNI = ("Haø Noäi, ngaøy {n}/1, Boä Quoác phoøng toå chöùc Hoäi nghò toång keát coâng taùc ñoái ngoaïi "
        "quoác phoøng giai ñoaïn 2011-20{n:02d} vaø trieån khai nhieäm vuï naêm tôùi.")

ENGLISH = [
    "The city council voted on Tuesday to extend the river ferry service through the winter, after ridership rose for the third year in a row.",
    "Officials said the extension would cost about two million dollars, most of it covered by ticket sales and a regional transport grant.",
    "Commuters who rely on the ferry welcomed the decision, saying the boats are faster than the bridge during the morning rush hour.",
    "The council will review the service again in the spring, when a study of passenger numbers and running costs is due to be published.",
]
GERMAN = [
    "Der Stadtrat hat am Dienstag beschlossen, den Fährbetrieb auf dem Fluss auch im Winter fortzusetzen, nachdem die Fahrgastzahlen zum dritten Mal in Folge gestiegen sind.",
    "Nach Angaben der Verwaltung kostet die Verlängerung rund zwei Millionen Euro, die größtenteils durch Fahrkarten und Fördermittel des Landes gedeckt werden.",
    "Pendler, die täglich mit der Fähre fahren, begrüßten die Entscheidung, weil die Boote im Berufsverkehr schneller sind als der Weg über die Brücke.",
    "Im Frühjahr will der Rat den Betrieb erneut prüfen, sobald eine Untersuchung über Fahrgastzahlen und Betriebskosten vorliegt.",
]
CHINESE = [
    "市议会周二投票决定，在冬季继续运营河上渡轮服务，此前乘客人数已连续第三年增长。",
    "官员表示，延长服务大约需要两百万元，其中大部分由票款收入和地区交通补助承担。",
    "每天依靠渡轮上下班的市民对这一决定表示欢迎，他们说在早高峰时段乘船比走大桥更快。",
    "议会将在明年春天再次评估这项服务，届时一份关于客流量和运营成本的研究报告将会发布。",
    "交通部门还计划在两岸码头增加候船设施，并在节假日期间加开班次，以满足游客的出行需求。",
]
FRENCH_CP1252 = [
    "Le conseil municipal a décidé mardi de prolonger le service de bac sur la rivière pendant l’hiver, après une troisième année de hausse de la fréquentation.",
    "Selon la mairie, la prolongation coûtera environ deux millions d’euros, financés en grande partie par la billetterie et une subvention régionale.",
    "Les usagers quotidiens ont salué la décision : « le bateau est plus rapide que le pont aux heures de pointe », explique une infirmière du quartier.",
    "Le conseil réexaminera le service au printemps, lorsque l’étude sur la fréquentation et les coûts d’exploitation sera publiée — d’ici là, rien ne change.",
]


def _write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _write_blocks(path: Path, blocks: Iterator[bytes]) -> Path:
    with path.open("wb") as out:
        for block in blocks:
            out.write(block)
    return path


def empty(folder: Path) -> Path:
    return _write(folder / "empty.html", b"")


def whitespace(folder: Path) -> Path:
    return _write(folder / "whitespace.txt", b" \t\r\n" * 2000)


def unicode_whitespace(folder: Path) -> Path:
    """Whitespace that is not ASCII: no-break, ideographic and zero-width spaces, in UTF-8."""
    return _write(folder / "unicode-whitespace.txt", "\u00a0\u3000\u2003\u200b\n".encode() * 1000)


def png(folder: Path) -> Path:
    rng = random.Random(1)
    header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00"
    return _write(folder / "image.html", header + rng.randbytes(64 * 1024))


def random_bytes(folder: Path) -> Path:
    return _write(folder / "random.html", random.Random(2).randbytes(256 * 1024))


def random_no_nul(folder: Path) -> Path:
    """High-entropy junk without a single NUL byte (a JPEG or zip body cut so that no NUL shows)."""
    rng = random.Random(3)
    return _write(folder / "random-no-nul.html", bytes(rng.randrange(1, 256) for _ in range(256 * 1024)))


def nul_body(folder: Path) -> Path:
    """A page whose body is NUL bytes (a preallocated or zeroed file)."""
    return _write(folder / "nul-body.html", b"<html><head><title>x</title></head><body>" + b"\x00" * MiB + b"</body></html>")


def nul_tail(folder: Path) -> Path:
    """A real article followed by 1 MiB of NUL padding: the NULs start past the first 8 KiB."""
    page = article("Tin có đuôi NUL", vi_paragraphs(20, 40), "https://example.vn/nul-tail.html")
    return _write(folder / "nul-tail.html", page.encode() + b"\x00" * MiB)


def truncated(folder: Path) -> Path:
    """An article cut mid-tag, as a download that stopped: no closing tags at all."""
    paragraphs = vi_paragraphs(21, 10)
    page = article("Bài bị cắt giữa chừng", paragraphs, "https://example.vn/cut.html")
    cut = page.index(paragraphs[8]) + 40  # inside the ninth paragraph, then into a half-written tag
    return _write(folder / "truncated.html", page[:cut] + '<a href="https://example.vn/x" cla')


def cp1258_declared_utf8(folder: Path) -> Path:
    """windows-1258 bytes whose <meta> says utf-8."""
    page = article("Giá lúa gạo tăng mạnh trong tuần", vi_paragraphs(22, 6), "https://example.vn/cp1258-as-utf8.html")
    return _write(folder / "cp1258-declared-utf8.html", cp1258_bytes(page))


def utf8_declared_latin1(folder: Path) -> Path:
    page = article("Lãi suất cho vay tiếp tục giảm", vi_paragraphs(23, 6), "https://example.vn/utf8-as-latin1.html",
                   charset="iso-8859-1")
    return _write(folder / "utf8-declared-latin1.html", page)


def cp1252_undeclared(folder: Path) -> Path:
    """French in Windows-1252 (curly apostrophes, guillemets, an em dash) with no charset anywhere."""
    page = article("Le bac sur la rivière continue l’hiver", FRENCH_CP1252, "https://example.fr/bac.html",
                   lang="fr", home="Accueil", section="Ville").replace('<meta charset="utf-8">', "")
    return _write(folder / "cp1252-undeclared.html", page.encode("cp1252"))


def cp1258_declared(folder: Path) -> Path:
    page = article("Hà Nội công bố kế hoạch chống ngập", vi_paragraphs(24, 6), "https://example.vn/cp1258.html",
                   charset="windows-1258")
    return _write(folder / "cp1258.html", cp1258_bytes(page))


def nfd(folder: Path) -> Path:
    page = article("Người dân Đà Nẵng đón mùa du lịch", vi_paragraphs(25, 6), "https://example.vn/nfd.html")
    return _write(folder / "nfd.html", unicodedata.normalize("NFD", page))


def utf16_text(folder: Path) -> Path:
    """A text dump in UTF-16 with a BOM (NUL bytes everywhere, still text)."""
    lines = ["Trang chủ Kinh tế", "Ngân hàng giữ nguyên lãi suất điều hành", *vi_paragraphs(26, 6)]
    return _write(folder / "utf16.txt", "\n".join(lines).encode("utf-16"))


def tcvn3(folder: Path) -> Path:
    paragraphs = [_TCVN3.format(n=n) for n in range(1, 9)]
    page = article("Héi nghÞ tæng kÕt c«ng t¸c ®èi ngo¹i", paragraphs, "https://example.vn/tcvn3.html",
                   charset="windows-1252", home="Trang chu", section="Kinh te")
    return _write(folder / "tcvn3.html", page.encode("cp1252"))


def vni(folder: Path) -> Path:
    paragraphs = [_VNI.format(n=n) for n in range(1, 9)]
    page = article("Hoäi nghò toång keát coâng taùc ñoái ngoaïi", paragraphs, "https://example.vn/vni.html",
                   charset="windows-1252", home="Trang chu", section="Kinh te")
    return _write(folder / "vni.html", page.encode("cp1252"))


def big(folder: Path, size: int = 20 * MiB) -> Path:
    """An article page of `size` bytes: ~50,000 paragraphs made of 60 sentences, each with its own number."""
    head, _, tail = article("Trang rất lớn", ["{body}"], "https://example.vn/big.html").partition("<p>{body}</p>")

    def blocks() -> Iterator[bytes]:
        yield head.encode()
        written = len(head)
        base = vi_sentences(27, 60)
        n = 0
        while written < size - len(tail):
            chunk = "".join(f"<p>{base[(n + k) % 60][:-1]}, mục {n + k}. {base[(n + 7 * k) % 60]}</p>\n" for k in range(500))
            n += 500
            data = chunk.encode()
            yield data
            written += len(data)
        yield tail.encode()

    return _write_blocks(folder / "big-20mb.html", blocks())


def many_paragraphs(folder: Path, count: int = 1000) -> Path:
    """An ordinary-sized page (~380 KB) of 1,000 distinct paragraphs of similar length."""
    page = article("Một nghìn đoạn văn", vi_paragraphs(50, count), "https://example.vn/many-paragraphs.html")
    return _write(folder / "many-paragraphs.html", page)


def many_short_paragraphs(folder: Path) -> Path:
    """The page of issue 12: 145,624 short <p> in 9.3 MB (202 s and 844 MB to clean before the fix)."""
    return _write(folder / "many-short-paragraphs.html", shapes.page_of("p", shapes.ISSUE_BLOCKS))


def nested(folder: Path, depth: int = 10_000) -> Path:
    """An article inside 10,000 nested <div>s."""
    inner = article("Bài báo nằm sâu trong trang", vi_paragraphs(28, 6), "https://example.vn/nested.html")
    head, _, rest = inner.partition("<article>")
    page = head + "<div>" * depth + "<article>" + rest.replace("</article>", "</article>" + "</div>" * depth)
    return _write(folder / "nested-divs.html", page)


def billion_laughs(folder: Path) -> Path:
    """XHTML with an entity-expansion DOCTYPE: &lol9; would be 10^9 'lol's if expanded."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    paragraphs = vi_paragraphs(29, 6)
    paragraphs[2] += " &lol9;"
    page = article("Trang có thực thể lồng nhau", paragraphs, "https://example.vn/lol.html")
    page = page.replace("<!DOCTYPE html>", f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html [{entities}]>')
    return _write(folder / "billion-laughs.xhtml", page)


def _bomb(inflated: int) -> Iterator[bytes]:
    """A gzip stream of `inflated` bytes (an <html><body>, then spaces), in ~1 KB pieces.

    One 1 MiB block of spaces is deflated once and ended with a full flush (so it refers to nothing
    before it); the stream repeats that compressed block, then a final empty block and the gzip trailer.
    """
    block = b" " * MiB
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    prefix = b"<html><body>"
    first = deflater.compress(prefix) + deflater.flush(zlib.Z_FULL_FLUSH)
    repeated = deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH)
    count = inflated // MiB
    crc = zlib.crc32(prefix)
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + first  # gzip header: deflate, mtime 0, best compression
    for _ in range(count):
        crc = zlib.crc32(block, crc)
        yield repeated
    yield zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush(zlib.Z_FINISH)  # an empty final block
    yield crc.to_bytes(4, "little") + ((len(prefix) + count * MiB) % 2**32).to_bytes(4, "little")


def gzip_bomb(folder: Path) -> Path:
    """A .html.gz that inflates to 1100 MiB: ~1 MB on disk, written as it is made."""
    return _write_blocks(folder / "bomb.html.gz", _bomb(1100 * MiB))


def _warc_record(writer: WARCWriter, url: str, body: bytes, headers: list[tuple[str, str]], status: str = "200 OK") -> None:
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    # fixed id and date (warcio would take a random uuid and the clock): the same bytes on every run
    fixed = {"WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>", "WARC-Date": "2026-03-07T01:07:18Z"}
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                                  warc_headers_dict=fixed))


def _page_record(writer: WARCWriter, number: int) -> None:
    """An article response record: https://example.vn/warc-<number>.html, its own text."""
    url = f"https://example.vn/warc-{number}.html"
    page = article(f"Tin số {number} trong kho WARC", vi_paragraphs(30 + number, 6), url)
    _warc_record(writer, url, page.encode(), [("Content-Type", "text/html; charset=utf-8")])


def warc_bomb(folder: Path) -> Path:
    """A WARC response whose Content-Encoding: gzip payload inflates to > 1 GiB."""
    payload = b"".join(_bomb(1100 * MiB))  # ~1 MB
    with (folder / "bomb.warc").open("wb") as stream:
        _warc_record(WARCWriter(stream, gzip=False), "https://example.vn/bomb.html", payload,
                     [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")])
    return folder / "bomb.warc"


def _records_around(folder: Path, name: str, damage: bytes, first: int, second: int) -> Path:
    """An uncompressed WARC: a good page record, `damage`, another good page record."""
    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=False)
    _page_record(writer, first)
    stream.write(damage)
    _page_record(writer, second)
    return _write(folder / name, stream.getvalue())


def broken_warc(folder: Path) -> Path:
    """A record whose headers are broken (no record id, a Content-Length of "banana") between two good ones."""
    damage = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: banana\r\n\r\n" + b"\xde\xad\xbe\xef" * 64 + b"\r\n\r\n"
    return _records_around(folder, "broken.warc", damage, 1, 2)


def junk_warc(folder: Path) -> Path:
    """300 random bytes between two records: the reader cannot go on."""
    return _records_around(folder, "junk-between.warc", random.Random(8).randbytes(300), 3, 4)


def truncated_warc(folder: Path) -> Path:
    """A gzipped WARC cut off in the middle of its second record (a crawl killed mid-write)."""
    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=True)
    _page_record(writer, 5)
    cut = len(stream.getvalue())
    _page_record(writer, 6)
    data = stream.getvalue()
    return _write(folder / "truncated.warc.gz", data[: cut + (len(data) - cut) // 2])


def not_a_warc(folder: Path) -> Path:
    return _write(folder / "not-a-warc.warc", b"this is a text file with the wrong name\n" * 20)


def empty_warc(folder: Path) -> Path:
    return _write(folder / "empty.warc", b"")


def truncated_gzip(folder: Path) -> Path:
    """An article .html.gz cut in half."""
    data = gzip.compress(article("Tin nén bị cắt", vi_paragraphs(40, 6), "https://example.vn/gz.html").encode(), mtime=0)
    return _write(folder / "truncated.html.gz", data[: len(data) // 2])


def home_page(folder: Path) -> Path:
    """A home page: 100 headline links and nothing else."""
    rng = random.Random(5)
    links = "\n".join(
        f'<li><a href="/tin-{i}.html">{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}</a></li>'
        for i in range(100))
    page = ('<html lang="vi"><head><meta charset="utf-8"><title>Báo Điện tử - Trang chủ</title></head><body>'
            f'<header><a href="/">Trang chủ</a></header><main><ul class="news">{links}</ul></main></body></html>')
    return _write(folder / "home.html", page)


def tag_page(folder: Path) -> Path:
    """A tag page: teasers with datelines and one-sentence summaries."""
    rng = random.Random(6)
    items = "\n".join(
        f'<div class="story"><h3><a href="/tag-{i}.html">{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}</a></h3>'
        f"<p>(Chinhphu.vn) - {vi_sentences(100 + i, 1)[0]}</p></div>"
        for i in range(20))
    page = ('<html lang="vi"><head><meta charset="utf-8"><title>Tag: giá vàng</title></head><body>'
            f"<h1>Giá vàng</h1><main>{items}</main></body></html>")
    return _write(folder / "tag.html", page)


def english(folder: Path) -> Path:
    return _write(folder / "english.html", article("River ferry service extended through the winter", ENGLISH,
                                                  "https://news.example.com/ferry.html", lang="en", home="Home", section="City"))


def german(folder: Path) -> Path:
    return _write(folder / "german.html", article("Fährbetrieb wird im Winter fortgesetzt", GERMAN,
                                                 "https://news.example.de/faehre.html", lang="de", home="Startseite", section="Stadt"))


def chinese(folder: Path) -> Path:
    return _write(folder / "chinese.html", article("河上渡轮冬季继续运营", CHINESE, "https://news.example.cn/ferry.html",
                                                  lang="zh", home="首页", section="城市"))


def many_attributes(folder: Path, count: int = 100_000) -> Path:
    """<html> with 100,000 attributes, then a normal article."""
    attributes = " ".join(f"data-a{i}=\"{i}\"" for i in range(count))
    page = article("Trang có quá nhiều thuộc tính", vi_paragraphs(34, 6), "https://example.vn/attrs.html")
    return _write(folder / "many-attributes.html", page.replace('<html lang="vi">', f'<html lang="vi" {attributes}>'))


def long_word(folder: Path, size: int = 5 * MiB) -> Path:
    """An article page whose body is one 5 MB text node without a space."""
    rng = random.Random(7)
    piece = "".join(rng.choice("abcdeghiklmnopqrstuvxyàáảãạăắđêếôơưứ") for _ in range(1000))
    word = (piece * (size // len(piece.encode()) + 1))[: size * len(piece) // len(piece.encode())]
    page = article("Một từ dài năm megabyte", [word], "https://example.vn/long-word.html")
    return _write(folder / "long-word.html", page)


GENERATORS: tuple[Callable[[Path], Path], ...] = (
    empty, whitespace, unicode_whitespace, png, random_bytes, random_no_nul, nul_body, nul_tail, truncated,
    truncated_gzip, cp1258_declared_utf8, utf8_declared_latin1, cp1252_undeclared, cp1258_declared, nfd,
    utf16_text, tcvn3, vni, big, many_paragraphs, many_short_paragraphs, nested, billion_laughs, gzip_bomb, warc_bomb, broken_warc, junk_warc,
    truncated_warc, not_a_warc, empty_warc, home_page, tag_page, english, german, chinese, many_attributes,
    long_word,
)


def make_corpus(folder: str | Path) -> list[Path]:
    """Write every hostile input into `folder` (created if needed); returns their paths, in generator order."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return [generate(out) for generate in GENERATORS]


if __name__ == "__main__":
    for written in make_corpus(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus"):
        print(f"{written.stat().st_size:>12,}  {written.name}")
