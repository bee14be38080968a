"""tinsach's cleaning library: page in, `Document` out. Pure functions; no Prefect here.

    >>> from cleaners import clean_text
    >>> doc = clean_text("Tiêu đề bài báo hôm nay\\naa\\nNội dung chính của bài báo, đủ dài để là một đoạn.")
    >>> doc.title, doc.paragraphs
    ('Tiêu đề bài báo hôm nay', [])
"""

from __future__ import annotations

from cleaners.api import clean_html, clean_page, clean_text, explain
from cleaners.document import Document, Reject, Removal

__all__ = ["Document", "Reject", "Removal", "clean_html", "clean_page", "clean_text", "explain"]
