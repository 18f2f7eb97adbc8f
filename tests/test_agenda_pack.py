"""The agenda pack read as a member reads it: the PDF's text, its page numbers, and what the public never gets."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from notifications.agenda_pack import Pack, render_pack
from tests.agenda_pack_setup import MINUTES, SECRET, agenda, files

TEMPLATES = Path(__file__).parent.parent / "definitions" / "templates"


def pages(pack: Pack) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pack.pdf)).pages]


def first_page_saying(texts: list[str], words: str) -> int:
    return next(n for n, text in enumerate(texts, 1) if words in text)


@pytest.fixture(scope="module")
def packs() -> dict[str, Pack]:
    stored = files()
    made = {}
    for name, private in (("public", False), ("private", True)):
        made[name] = render_pack(agenda(), private=private, read=lambda paper: stored.get(paper.id),
                                 templates=TEMPLATES, created=dt.datetime(2021, 6, 22, 9, tzinfo=dt.UTC),
                                 minutes_html=MINUTES)
    return made


def test_the_agenda_gives_each_report_the_pages_it_starts_and_ends_on(packs: dict[str, Pack]) -> None:
    texts = pages(packs["public"])
    agenda_page = texts[first_page_saying(texts, "4. Development of a Community Safety Strategy") - 1]
    strategy = (first_page_saying(texts, "STRATEGY page 1"), first_page_saying(texts, "STRATEGY page 2"))
    overview = (first_page_saying(texts, "OVERVIEW page 1"), first_page_saying(texts, "OVERVIEW page 3"))
    minutes = first_page_saying(texts, "Minutes of the meeting of the SAFER MK PARTNERSHIP")
    assert f"To consider Item 4 (Pages {strategy[0]} to {strategy[1]})" in agenda_page
    assert f"Overview of activity: Pages {overview[0]} to {overview[1]}" in agenda_page
    assert re.search(rf"10 March 2021\. \(Pages {minutes} to {strategy[0] - 1}\)", agenda_page)
    assert packs["public"].item_pages == {2: (minutes, strategy[0] - 1), 4: strategy, 5: overview}
    # Every page carries its running number, the appended reports' too.
    assert all(text.rstrip().endswith(f"Page {n}") for n, text in enumerate(texts, 1))
    assert overview[1] == len(texts)


def test_the_front_sheet_and_membership_come_first(packs: dict[str, Pack]) -> None:
    texts = pages(packs["public"])
    assert "SAFER MK PARTNERSHIP" in texts[0] and "Wednesday 30 June 2021" in texts[0]
    assert "2.00 pm" in texts[0] and "WATCH LIVE" in texts[0] and "committee.manager@example.org" in texts[0]
    for heading in ("1. Representatives of the Safer MK Partnership with voting rights:", "2. Non-Voting Chair:",
                    "3. Non-Voting Advisors:", "4. Observers:", "5. Officers:"):
        assert heading in texts[1]


def test_the_public_pack_names_the_private_part_but_never_its_papers(packs: dict[str, Pack]) -> None:
    text = "\n".join(pages(packs["public"]))
    assert "Notice of Intention to Hold the Meeting in Private" in text
    assert "Paragraph 2 (Information which is likely to reveal the identity of an individual)" in text
    assert "8. Domestic Homicide Reviews" in text  # the item's title is public, as in the council's pack
    assert SECRET not in text
    assert SECRET not in packs["public"].html.decode("utf-8")
    assert SECRET not in docx_text(packs["public"].docx)


def test_the_private_pack_holds_the_exempt_report_with_its_own_page_numbers(packs: dict[str, Pack]) -> None:
    texts = pages(packs["private"])
    assert "NOT FOR PUBLICATION" in texts[0]
    first, last = first_page_saying(texts, f"{SECRET} page 1"), first_page_saying(texts, f"{SECRET} page 2")
    assert f"{SECRET} review summary: Pages {first} to {last}" in "\n".join(texts)
    assert "STRATEGY page 1" not in "\n".join(texts)  # the public reports are in the public pack
    assert packs["private"].item_pages[8] == (first, last)


def test_a_word_paper_is_listed_with_a_note_and_the_agenda_has_a_word_version(packs: dict[str, Pack]) -> None:
    text = "\n".join(pages(packs["public"]))
    assert "Consultation plan (a Word document, sent with this pack as a separate file" in text
    assert packs["public"].listed == ("Consultation plan",)
    word = docx_text(packs["public"].docx)
    assert "Development of a Community Safety Strategy for 2022" in word and "Pages" in word
    assert "Non-Voting Chair" in word


def test_the_pack_is_a_tagged_pdf(packs: dict[str, Pack]) -> None:
    root = PdfReader(io.BytesIO(packs["public"].pdf)).trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert str(root["/Lang"]) == "en-GB"


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)
