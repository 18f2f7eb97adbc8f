"""HTML to PDF, for sign-off documents, agenda packs, minutes and letters for post.

Every document is laid out from HTML that admin-written templates help make, so WeasyPrint is given a URL
fetcher that loads nothing but `data:` URIs: a template's `<img src="file:///...">` or `<link
rel="attachment" href="file:///proc/self/environ">` would otherwise copy a server file (its secrets
included) into a PDF sent to members or published. The documents' styles and images are inline, so nothing
else is needed; WeasyPrint logs a refused resource and leaves it out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weasyprint import HTML

INLINE_ONLY = frozenset({"data"})


def html_document(html: str) -> HTML:
    """`html` ready for WeasyPrint, unable to reach a file or address outside it."""
    from weasyprint import (  # imported here: it loads Pango, which only document work needs
        HTML,
        URLFetcher,
    )

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=INLINE_ONLY))


def to_pdf(html: str) -> bytes:
    # PDF/UA-1: tagged structure, the language from <html lang>, a title; councils must publish accessible PDFs.
    return bytes(html_document(html).write_pdf(pdf_variant="pdf/ua-1"))
