"""The agenda pack carries the previous meeting's minutes: the draft for approval, then the signed minutes; the
public part in the public pack, the private minutes only in the private pack of a member entitled to them."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from notifications.agenda_issue import AgendaPacks
from notifications.agenda_pack import Pack, previous_minutes
from tests.helpers import CLERK
from tests.test_minutes import MARCH, SECRET, SEPTEMBER, play
from workflow.app import App
from workflow.commands.minutes import approve_minutes, draft_minutes
from workflow.reads.agenda_pack import pack_agenda
from workflow.time.clock import SimulatedClock

BOARD = "safer_mk"
HEADING = "Minutes of the meeting of the SAFER MK PARTNERSHIP held on WEDNESDAY 8 SEPTEMBER 2021"


def march_pack(app: App, *, private: bool) -> Pack:
    engine = app.engine
    agenda = pack_agenda(engine, BOARD, MARCH, CLERK, private=private)
    return AgendaPacks(engine, app.documents()).render(agenda, private, engine.clock.now(), viewer=CLERK)


def text_of(pack: Pack) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pack.pdf)).pages]


def test_the_march_pack_carries_septembers_minutes_with_their_pages(app: App, clock: SimulatedClock,
                                                                    tmp_path: Path) -> None:
    play(app, clock, tmp_path, exempt=True)
    assert previous_minutes(app.engine, BOARD, MARCH, private=False) is None, "nothing drafted yet"
    before = text_of(march_pack(app, private=False))
    assert not any(HEADING in page for page in before)

    draft_minutes(app.engine, BOARD, SEPTEMBER, CLERK)
    public = march_pack(app, private=False)
    pages = text_of(public)
    first = next(n for n, page in enumerate(pages, 1) if HEADING in page)
    assert "DRAFT" in pages[first - 1] and "SMK1" in pages[first - 1]
    minutes_item = next(number for number, span in public.item_pages.items() if span[0] == first)
    assert public.item_pages[minutes_item][0] == first
    assert f"Page {first}" in " ".join(pages[:first - 1]) or f"Pages {first} to" in " ".join(pages[:first - 1])
    assert "EXCLUSION" in " ".join(pages).upper(), "the exclusion resolution, with its paragraph"
    assert SECRET not in " ".join(pages), "the private minute is never in the public pack"

    private = text_of(march_pack(app, private=True))
    assert SECRET in " ".join(private), "the committee manager's private pack has the private minute"
    assert "DISCLOSURES OF INTEREST" not in " ".join(private), "the open minutes are in the public pack only"

    approve_minutes(app.engine, BOARD, SEPTEMBER, CLERK, at=MARCH)
    signed = " ".join(text_of(march_pack(app, private=False)))
    assert "Signed by the chair" in signed and "as approved at the meeting held on 9 March 2022" in signed
    assert SECRET not in signed
