"""HTML to PDF, for sign-off documents and letters for post."""

from __future__ import annotations


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which only document work needs

    # PDF/UA-1: tagged structure, the language from <html lang>, a title; councils must publish accessible PDFs.
    return bytes(HTML(string=html).write_pdf(pdf_variant="pdf/ua-1"))
