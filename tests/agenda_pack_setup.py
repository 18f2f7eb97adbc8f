"""A Safer MK meeting's agenda as the agenda builder makes it, with its papers' files, for the pack's tests."""

from __future__ import annotations

import datetime as dt

from notifications.pdf import to_pdf
from workflow.reads.agenda import Agenda, AgendaItem, AgendaMember, AgendaMembership, AgendaPaper

SECRET = "KESTREL-77d1"
"""In the exempt report's text and its title: must never be in the public pack."""
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def paper_pdf(title: str, pages: int, marker: str) -> bytes:
    """A report of `pages` pages, each saying '<marker> page <n>'."""
    body = "".join(f'<section style="break-after: page"><h1>{title}</h1><p>{marker} page {n}</p></section>'
                   for n in range(1, pages + 1))
    return to_pdf(f'<!DOCTYPE html><html lang="en-GB"><head><title>{title}</title></head><body>{body}</body></html>')


def files() -> dict[int, bytes]:
    return {1: paper_pdf("Development of a Community Safety Strategy", 2, "STRATEGY"),
            2: paper_pdf("Overview of Partnership Activity", 3, "OVERVIEW"),
            3: paper_pdf("Domestic Homicide Reviews", 2, SECRET),
            4: b"PK\x03\x04 a Word file"}


def agenda() -> Agenda:
    def member(name: str, title: str) -> AgendaMember:
        return AgendaMember(name, title)

    strategy = (AgendaPaper(1, "Community Safety Strategy report", "strategy.pdf", "application/pdf"),
                AgendaPaper(4, "Consultation plan", "plan.docx", WORD))
    return Agenda(
        board_id="safer_mk", board_name="Safer MK Partnership", day=dt.date(2021, 6, 30), start=dt.time(14, 0),
        venue="Council Chamber, Civic, 1 Saxon Gate East, Milton Keynes, MK9 3EJ",
        remote_link="https://www.youtube.com/user/MiltonKeynesCouncil", title="Safer MK Partnership (June)",
        membership=AgendaMembership(
            voting=(member("Michael Bracey", "Chief Executive (Milton Keynes Council)"),
                    member("Marc Tarbit", "Local Police Area Commander (Thames Valley Police)")),
            chair=member("Councillor Lauren Townsend", "Responsible Cabinet Member (Milton Keynes Council)"),
            advisors=(member("Oliver Mytton", "Deputy Director of Public Health"),),
            observers=(member("Jane Held", "Independent Safeguarding Scrutineer"),),
            officers=(member("Jane Crighton", "Committee Manager (Milton Keynes Council)"),)),
        manager_name="Jane Crighton", manager_email="committee.manager@example.org",
        public_items=(
            AgendaItem(1, "std:apologies", "Welcome, Introductions and Apologies", standard="apologies"),
            AgendaItem(2, "std:minutes", "Minutes", standard="minutes",
                       description="To approve, and the Chair to sign as a correct record, the Minutes of the "
                                   "meeting held on 10 March 2021."),
            AgendaItem(3, "std:interests", "Disclosure of Interests", standard="interests"),
            AgendaItem(4, "cycle:1:strategy", "Development of a Community Safety Strategy for 2022",
                       purpose="For decision", author_name="Melanie Marshman",
                       author_title="Head of Partnerships and Resilience", cycle_id=1, papers=strategy),
            AgendaItem(5, "cycle:1:overview", "Overview of Partnership Activity", purpose="For information",
                       cycle_id=1, papers=(AgendaPaper(2, "Overview of activity", "overview.pdf", "application/pdf"),)),
            AgendaItem(6, "std:next_meeting", "Date of Next Meeting", standard="next_meeting",
                       description="Wednesday 13 October 2021 at 2.00 pm."),
            AgendaItem(7, "std:exclusion", "Exclusion of Public and Press", standard="exclusion")),
        private_items=(
            AgendaItem(8, "cycle:2:dhr", "Domestic Homicide Reviews", purpose="For information", exempt_paragraph=2,
                       cycle_id=2, papers=(AgendaPaper(3, f"{SECRET} review summary", "dhr.pdf", "application/pdf",
                                                       2),)),),
        exempt_paragraphs=(2,))


MINUTES = ("<h2>Minutes of the meeting of the SAFER MK PARTNERSHIP held on 10 March 2021</h2>"
           + "<p>The Partnership noted the refreshed strategy and its timetable.</p>" * 50)
