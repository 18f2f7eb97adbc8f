"""The pages of an agenda pack: counting a report's pages, and appending reports with running page numbers.

The front sheet, agenda and minutes are one tagged PDF from WeasyPrint (`notifications.pdf`). Reports
stored as PDF are appended to it page by page with pypdf, and each appended page is stamped with the
pack's running number ("Page 12") in the same place and type as the pack's own footer, so the page
ranges the agenda prints are the numbers a reader sees. The stamps are drawn by WeasyPrint as page
artifacts (a margin box), so they add no untagged text. The pack keeps WeasyPrint's structure tree;
an appended report keeps its own text but not its own tags (pypdf cannot merge structure trees), so a
report's accessibility is the author's file's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.errors import PdfReadError

from .pdf import html_document

A4_WIDTH = 595.28
"""Points: the stamp pages are A4; a report page of another width has its stamp centred on it."""


def page_count(content: bytes) -> int | None:
    """How many pages a PDF paper has; None when it cannot be read as a PDF (it is then listed, not appended)."""
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            return None
        return len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        return None


def _stamps(first: int, count: int) -> PdfReader:
    """`count` A4 pages bearing only "Page n" from `first` on, in the pack's footer style."""
    pages = "".join(f'<div class="n">Page {first + index}</div>' for index in range(count))
    html = ('<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Page numbers</title><style>'
            '@page { size: A4; margin: 2cm 2cm 2.2cm; @bottom-center { content: string(number); '
            'font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9pt; } }'
            'div.n { string-set: number content(); visibility: hidden; height: 0; break-after: page; }'
            f'</style></head><body>{pages}</body></html>')
    return PdfReader(io.BytesIO(html_document(html).write_pdf()))


def assemble(front: bytes, reports: Sequence[bytes]) -> bytes:
    """The pack: `front` (tagged, numbered 1..n by its own footer) then every page of each report, stamped
    n+1, n+2, ... in order. Each report must have been counted readable by `page_count`."""
    writer = PdfWriter(clone_from=io.BytesIO(front))
    first = len(writer.pages) + 1
    readers = [PdfReader(io.BytesIO(content)) for content in reports]
    total = sum(len(reader.pages) for reader in readers)
    if not total:
        return front
    stamps = _stamps(first, total)
    index = 0
    for reader in readers:
        for page in reader.pages:
            added = writer.add_page(page)
            # Its marked content belonged to the report's own structure tree, which is not carried over:
            # a StructParents key left on it would point into the pack's tree at the wrong elements.
            for key in ("/StructParents", "/Tabs"):
                if key in added:
                    del added[key]
            width = float(added.mediabox.width)
            left = float(added.mediabox.left)
            bottom = float(added.mediabox.bottom)
            added.merge_transformed_page(stamps.pages[index],
                                         Transformation().translate(left + (width - A4_WIDTH) / 2, bottom))
            index += 1
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
