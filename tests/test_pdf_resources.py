"""A document's HTML cannot pull a server file into the PDF made from it (`notifications.pdf`)."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from notifications.pdf import to_pdf

PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs="


def _page(secret: Path) -> str:
    return (f'<html lang="en-GB"><head><title>Record</title><link rel="attachment" href="{secret.as_uri()}">'
            f'<link rel="stylesheet" href="{secret.as_uri()}"></head><body><p>Decision</p>'
            f'<img src="{secret.as_uri()}" alt="x"><img src="{PIXEL}" alt="pixel"></body></html>')


def test_a_template_cannot_attach_or_embed_a_file_of_the_server(tmp_path: Path) -> None:
    secret = tmp_path / "environ"
    secret.write_text("CYCLE_DATABASE_URL=postgresql://app:hunter2@db/cycle\n")
    from weasyprint import HTML

    # What WeasyPrint does when left to itself: the file is carried into the PDF as an attachment.
    unguarded = PdfReader(io.BytesIO(HTML(string=_page(secret)).write_pdf()))
    assert unguarded.attachments, "the control case should attach the file"

    guarded = PdfReader(io.BytesIO(to_pdf(_page(secret))))
    assert guarded.attachments == {}
    assert "Decision" in guarded.pages[0].extract_text()
    assert b"hunter2" not in to_pdf(_page(secret))
