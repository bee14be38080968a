"""Test helpers that build real input files (WARC, gzip) in a temporary folder."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def write_warc(path: Path, pages: list[tuple[str, bytes, str, str]]) -> Path:
    """A gzipped WARC with one response record per (url, body, content type, status) and a request record."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, body, content_type, status in pages:
            request = writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
            writer.write_record(request)
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)
    return path


ARTICLE_HTML = """<html lang="vi"><head><meta charset="{charset}"><title>{title}</title>
<link rel="canonical" href="{url}"><meta property="article:published_time" content="2026-03-07T08:07:18+07:00">
</head><body><nav><a href="/">Trang chủ</a><a href="/kinh-doanh">Kinh doanh</a></nav>
<article><h1>{title}</h1>{body}</article></body></html>"""

# Distinct article bodies: pages built from different bodies are different documents to dedup.
BODIES = [
    [
        "Giá vàng trong nước tiếp tục giảm, xuống mức 183,8 triệu đồng/lượng ở chiều bán ra với vàng miếng SJC trong phiên sáng nay.",
        "Trên thế giới, giá vàng giao ngay đang ở mức 5.172 USD/ounce, tăng 36 USD so với mức thấp nhất trong phiên giao dịch trước đó.",
        "Giới phân tích dự báo các ngân hàng trung ương sẽ duy trì lãi suất cao để kiểm soát lạm phát trong thời gian tới.",
    ],
    [
        "Nhiều chuyến bay vận chuyển hoa từ Hà Lan và Ecuador không thể về đúng kế hoạch, khiến nguồn cung hoa nhập khẩu khan hiếm.",
        "Chủ một cửa hàng hoa ở TP.HCM cho biết giá hoa hồng nhập khẩu đã tăng gấp đôi so với cùng kỳ năm ngoái vì chi phí vận chuyển.",
        "Nhiều cửa hàng chuyển sang bán hoa sáp và bó quà từ rau củ để giữ chân khách hàng trong dịp lễ năm nay.",
    ],
    [
        "Người đàn ông 63 tuổi đau bụng kéo dài nhiều tháng, đi khám được bác sĩ chẩn đoán ung thư lymphoma ruột non.",
        "Bác sĩ cho biết lymphoma đường ruột là bệnh ít gặp, thường có triệu chứng đau bụng, sụt cân, buồn nôn và tiêu chảy.",
        "Nội soi và tầm soát sức khỏe định kỳ giúp phát hiện sớm các bệnh lý ác tính của đường tiêu hóa, bác sĩ khuyến cáo.",
    ],
]


def article_html(title: str, url: str, charset: str = "utf-8", body: int = 0) -> str:
    """A small but complete Vietnamese article page; `body` picks one of the distinct BODIES."""
    paragraphs = "".join(f"<p>{p}</p>" for p in BODIES[body % len(BODIES)])
    return ARTICLE_HTML.format(title=title, url=url, charset=charset, body=paragraphs)
