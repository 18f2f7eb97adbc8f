"""The pictures the pages draw on the server: the timeline (a Gantt chart) and the state diagram."""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from web.pages.state_diagram import dot_source, state_diagram_svg
from web.pages.timeline_chart import chart, svg, timeline_svg
from workflow.definition.calendar import Timeline
from workflow.definition.model import Definition
from workflow.store.catalog import Catalog

SVG = "{http://www.w3.org/2000/svg}"
NOVEMBER = dt.date(2021, 11, 10)


@pytest.fixture(scope="module")
def definition() -> Definition:
    return Catalog(Path(__file__).resolve().parent.parent / "definitions").load("community_safety_strategy")


def texts(tree: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in tree.iter(f"{SVG}text")]


def test_stages_before_the_current_one_are_done_and_later_ones_planned(definition: Definition) -> None:
    drawn = chart(definition, Timeline(definition, 2021), current="consultation", today=NOVEMBER,
                  strands_done={"online_survey": True})
    stages = {b.title: b.state for b in drawn.bars if not b.strand}
    assert stages[definition.stages["early_findings"].title] == "done"
    assert stages[definition.stages["consultation"].title] == "current"
    assert stages[definition.stages["final_draft_sign_off"].title] == "planned"
    strands = [b for b in drawn.bars if b.strand]
    assert len(strands) == len(definition.stages["consultation"].strands) == 9
    survey = next(b for b in strands if b.title == definition.stages["consultation"].strand("online_survey").title)
    assert survey.state == "done" and survey.end == dt.date(2022, 1, 3)
    assert [m.day for m in drawn.meetings][:2] == [dt.date(2021, 7, 13), dt.date(2021, 8, 19)]


def test_a_stage_past_its_due_date_is_overdue_in_colour_and_in_words(definition: Definition) -> None:
    picture = timeline_svg(definition, Timeline(definition, 2021), current="early_findings",
                           today=dt.date(2021, 8, 2))
    tree = ET.fromstring(picture)
    early = next(r for r in tree.iter(f"{SVG}rect") if r.findtext(f"{SVG}title", "").startswith(
        definition.stages["early_findings"].title))
    assert early.get("fill") == "#d4351c" and early.findtext(f"{SVG}title", "").endswith("overdue")
    assert "overdue" in texts(tree)


def test_the_picture_names_every_stage_marks_meetings_and_draws_today_between_its_months(
        definition: Definition) -> None:
    tree = ET.fromstring(timeline_svg(definition, Timeline(definition, 2021), current="consultation", today=NOVEMBER))
    assert tree.get("role") == "img"
    description = tree.findtext(f"{SVG}desc", "")
    for stage in definition.stages.values():
        if stage.due is not None:
            assert stage.title in description
    assert len(list(tree.iter(f"{SVG}polygon"))) == len(definition.meetings) + 1  # and the legend's diamond
    words = texts(tree)
    assert "Today, 10 Nov 2021" in words and "Jul 2021" in words and "Mar 2022" in words
    month_x = {t.text: float(t.get("x", 0)) - 3 for t in tree.iter(f"{SVG}text") if t.text in ("Nov 2021", "Dec 2021")}
    today = next(line for line in tree.iter(f"{SVG}line") if line.get("stroke-width") == "2")
    assert month_x["Nov 2021"] < float(today.get("x1", 0)) < month_x["Dec 2021"]


def test_titles_from_a_definition_are_escaped_in_both_pictures(definition: Definition) -> None:
    hostile = 'Early <findings> & "notes" \\ </svg>'
    stages = dict(definition.stages)
    stages["early_findings"] = dataclasses.replace(stages["early_findings"], title=hostile)
    changed = dataclasses.replace(definition, stages=stages)
    tree = ET.fromstring(svg(chart(changed, Timeline(changed, 2021), current="early_findings",
                                   today=dt.date(2021, 7, 1))))
    assert hostile in tree.findtext(f"{SVG}desc", "")
    diagram = ET.fromstring(state_diagram_svg(changed, "early_findings"))
    assert "Early <findings> &" in " ".join(texts(diagram))
    assert '\\"notes\\"' in dot_source(changed)


def test_the_diagram_shows_each_stage_and_transition_and_fills_the_current_stage(definition: Definition) -> None:
    tree = ET.fromstring(state_diagram_svg(definition, "consultation"))
    assert tree.get("aria-label", "").endswith(definition.stages["consultation"].title)
    words = " ".join(" ".join(texts(tree)).split())
    for stage in definition.stages.values():
        assert stage.title in words
    assert "Risk Board signs off the strategic assessment" in words
    filled = [p for p in tree.iter(f"{SVG}path") if p.get("fill") == "#1d70b8"]
    assert len(filled) == 1
