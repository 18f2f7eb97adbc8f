"""The Word version of a document: the same HTML through html-for-docx, then laid out as a council files it.

html-for-docx turns the HTML's headings, paragraphs and tables into Word's own
elements, so an officer can edit the text; what it does not carry (page size,
table borders, captions, running header and footer) is applied here with
python-docx, on the document it made. A docxtpl template would mean a second
source for every document kind beside the admin's HTML; this keeps one.
"""

from __future__ import annotations

import io
import re
import zipfile
from html import unescape
from typing import Any

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from html4docx import HtmlToDocx

CAPTION = re.compile(r"<caption>(.*?)</caption>", re.S)
TAGS = re.compile(r"<[^>]+>")


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in as it lays out the pages."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)
        elif text == instruction:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = f" {instruction} "
            run._r.append(code)
        else:
            run.add_text(text or "")


def _borders(table: Any) -> None:
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "4")
        line.set(qn("w:space"), "0")
        line.set(qn("w:color"), "808080")
        borders.append(line)
    properties.append(borders)
    # Fixed layout: a long token wraps inside its cell instead of widening the table past the margin.
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    properties.append(layout)
    # A row stays on one page, and the heading row repeats on the next, as in the PDF.
    for index, row in enumerate(table.rows):
        row_properties = row._tr.get_or_add_trPr()
        row_properties.append(OxmlElement("w:cantSplit"))
        if index == 0 and any(cell.text for cell in row.cells):
            row_properties.append(OxmlElement("w:tblHeader"))


def _caption_before(table: Any, text: str) -> None:
    """Word's own Caption style, above the table, as the HTML's <caption> was."""
    paragraph = table._parent.add_paragraph(text, style="Caption")
    paragraph.paragraph_format.keep_with_next = True
    table._tbl.addprevious(paragraph._p)


def to_docx(html: str, *, title: str, header: str, created: Any) -> bytes:
    document = docx.Document()
    properties = document.core_properties
    properties.title, properties.author, properties.language = title, "strategy-cycle", "en-GB"
    # Word stamps files with "now"; the decision's own time keeps regenerated files alike.
    properties.created = properties.modified = created.replace(tzinfo=None)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2.2)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(11)
    main = re.search(r"<main>(.*)</main>", html, re.S)
    body = main.group(1) if main else html
    captions = [unescape(TAGS.sub("", c)).strip() for c in CAPTION.findall(body)]
    HtmlToDocx().add_html_to_document(CAPTION.sub("", body), document)
    for table, caption in zip(document.tables, captions, strict=False):
        _borders(table)
        _caption_before(table, caption)
    for paragraph in document.paragraphs:
        if paragraph.style is not None and paragraph.style.name.startswith("Heading"):
            paragraph.paragraph_format.keep_with_next = True  # a heading never ends a page
    heading = section.header.paragraphs[0]
    heading.text = header
    heading.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue(), created)


def _fixed_zip_times(content: bytes, when: Any) -> bytes:
    """python-docx stamps each part of the file with the time of writing; stamp the decision's time instead."""
    stamp = when.timetuple()[:6]
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            fixed.compress_type, fixed.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
