"""A cycle's dated timeline as a picture: an SVG Gantt chart drawn on the server.

Stages are bars from their entry to their due date, consultation strands sub-rows
under their stage, meetings diamonds, and a line marks today. A bar's state is said
in words beside it as well as by its colour (done, in progress, overdue, planned),
so the picture does not rely on colour alone. `chart()` decides what to draw;
`svg()` only writes it, so what is drawn can be tested without parsing pictures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

from workflow.definition.calendar import Timeline, add_months
from workflow.definition.formatting import long_date, month_year, short_date, written_date
from workflow.definition.model import Definition

COLOURS = {"done": "#00703c", "current": "#1d70b8", "overdue": "#d4351c", "planned": "#b1b4b6"}
WORDS = {"done": "done", "current": "in progress", "overdue": "overdue", "planned": "planned"}
LABEL_WIDTH, CHART_WIDTH, ROW, TOP = 330, 620, 26, 44


@dataclass(frozen=True)
class Bar:
    title: str
    start: dt.date
    end: dt.date
    state: str  # done | current | overdue | planned
    strand: bool = False


@dataclass(frozen=True)
class Diamond:
    title: str
    day: dt.date


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    meetings: list[Diamond]
    start: dt.date  # the first day drawn (a month's first)
    end: dt.date  # the day after the last drawn
    today: dt.date


def chart(definition: Definition, timeline: Timeline, *, current: str | None, today: dt.date,
          strands_done: Mapping[str, bool] | None = None, finished: bool = False, title: str = "") -> Chart:
    """What to draw: `current` is the stage the cycle is in (None when not started); `strands_done` says, for each
    strand of the current stage, whether it reached a final state; `finished` marks a completed cycle."""
    order = list(definition.stages)
    at = order.index(current) if current in definition.stages else -1
    bars: list[Bar] = []
    for index, stage in enumerate(definition.stages.values()):
        span = timeline.stage_span(stage.id)
        if span is None:
            continue
        start, end = min(span), max(span)
        if finished or index < at:
            state = "done"
        elif index == at:
            state = "overdue" if today > end else "current"
        else:
            state = "planned"
        bars.append(Bar(stage.title, start, end, state))
        for strand in stage.strands:
            strand_end = timeline.resolve(strand.due) if strand.due else end
            if state == "current" or state == "overdue":
                finished_strand = (strands_done or {}).get(strand.id, False)
                strand_state = "done" if finished_strand else ("overdue" if today > strand_end else "current")
            else:
                strand_state = state
            bars.append(Bar(strand.title, start, max(start, strand_end), strand_state, strand=True))
    meetings = sorted((Diamond(m.title, timeline.milestone(m.id)) for m in definition.meetings.values()),
                      key=lambda d: d.day)
    days = [b.start for b in bars] + [b.end for b in bars] + [d.day for d in meetings]
    first = min(days) if days else today
    last = max(days) if days else today
    start = first.replace(day=1)
    end = add_months(last.replace(day=1), 1)
    return Chart(title or definition.title, bars, meetings, start, end, today)


def _x(chart: Chart, day: dt.date) -> float:
    total = (chart.end - chart.start).days or 1
    clamped = min(max(day, chart.start), chart.end)
    return LABEL_WIDTH + CHART_WIDTH * (clamped - chart.start).days / total


def _months(chart: Chart) -> list[dt.date]:
    found, day = [], chart.start
    while day < chart.end:
        found.append(day)
        day = add_months(day, 1)
    return found


def _text(x: float, y: float, words: str, *, size: int = 13, anchor: str = "start", weight: str = "normal",
          fill: str = "#0b0c0c") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}">{escape(words)}</text>')


def svg(drawn: Chart) -> str:
    rows = len(drawn.bars) + len(drawn.meetings) + (1 if drawn.meetings else 0)
    height = TOP + rows * ROW + 70
    width = LABEL_WIDTH + CHART_WIDTH + 90  # room for the state's word after the last bar
    name = f"Timeline of {drawn.title}; today is {written_date(drawn.today)}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-labelledby="timeline-title timeline-desc" '
             'font-family="Arial, sans-serif">',
             f'<title id="timeline-title">{escape(name)}</title>',
             f'<desc id="timeline-desc">{escape(_description(drawn))}</desc>']
    months = _months(drawn)
    # A cycle of several years labels every third month, or every January, so labels never overlap.
    step = 1 if len(months) <= 14 else 3 if len(months) <= 40 else 12
    months = [m for m in months if (m.month - 1) % step == 0] if step > 1 else months
    for month in months:
        x = _x(drawn, month)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{TOP + rows * ROW}" stroke="#dddddd"/>')
        parts.append(_text(x + 3, TOP - 14, month_year(month), size=11, fill="#505a5f"))
    y = TOP
    for bar in drawn.bars:
        label = ("    " if bar.strand else "") + bar.title
        parts.append(_text(14 if bar.strand else 0, y + 17, _fit(label, 44 if bar.strand else 40), size=12 if bar.strand else 13,
                           weight="normal" if bar.strand else "bold"))
        x1, x2 = _x(drawn, bar.start), _x(drawn, bar.end)
        height_bar = 12 if bar.strand else 16
        top = y + (ROW - height_bar) / 2
        parts.append(f'<rect x="{x1:.1f}" y="{top:.1f}" width="{max(x2 - x1, 3):.1f}" height="{height_bar}" rx="2" '
                     f'fill="{COLOURS[bar.state]}"{_pattern(bar)}><title>{escape(_bar_words(bar))}</title></rect>')
        parts.append(_text(max(x2, x1 + 3) + 5, y + 17, WORDS[bar.state], size=11,
                           fill="#d4351c" if bar.state == "overdue" else "#505a5f",
                           weight="bold" if bar.state == "overdue" else "normal"))
        y += ROW
    if drawn.meetings:
        parts.append(_text(0, y + 17, "Meetings", weight="bold"))
        y += ROW
        for meeting in drawn.meetings:
            parts.append(_text(14, y + 17, _fit(meeting.title, 44), size=12))
            x, mid = _x(drawn, meeting.day), y + ROW / 2
            parts.append(f'<polygon points="{x:.1f},{mid - 7:.1f} {x + 7:.1f},{mid:.1f} {x:.1f},{mid + 7:.1f} '
                         f'{x - 7:.1f},{mid:.1f}" fill="#0b0c0c"><title>{escape(meeting.title)}, '
                         f'{long_date(meeting.day)}</title></polygon>')
            parts.append(_text(x + 10, y + 17, f"{meeting.day.day} {meeting.day:%b}", size=11, fill="#505a5f"))
            y += ROW
    today_x = _x(drawn, drawn.today)
    parts.append(f'<line x1="{today_x:.1f}" y1="{TOP - 6}" x2="{today_x:.1f}" y2="{y}" stroke="#0b0c0c" '
                 'stroke-width="2" stroke-dasharray="5 3"/>')
    parts.append(_text(today_x, y + 16, f"Today, {short_date(drawn.today)}", size=12, weight="bold",
                       anchor="middle"))
    parts.append(_legend(y + 40))
    parts.append("</svg>")
    return "".join(parts)


def _pattern(bar: Bar) -> str:
    # Planned bars are outlined, overdue ones edged in black: the state shows without colour too.
    if bar.state == "planned":
        return ' stroke="#505a5f" stroke-dasharray="3 2"'
    if bar.state == "overdue":
        return ' stroke="#0b0c0c" stroke-width="2"'
    return ""


def _legend(y: float) -> str:
    parts, x = [], 0.0
    for state in ("done", "current", "overdue", "planned"):
        parts.append(f'<rect x="{x:.1f}" y="{y - 11}" width="22" height="12" rx="2" fill="{COLOURS[state]}"'
                     f'{_pattern(Bar("", dt.date.min, dt.date.min, state))}/>')
        parts.append(_text(x + 28, y, WORDS[state].capitalize(), size=12))
        x += 120
    parts.append(f'<polygon points="{x + 7},{y - 12} {x + 14},{y - 5} {x + 7},{y + 2} {x},{y - 5}" fill="#0b0c0c"/>')
    parts.append(_text(x + 20, y, "Meeting", size=12))
    x += 110
    parts.append(f'<line x1="{x}" y1="{y - 12}" x2="{x}" y2="{y + 2}" stroke="#0b0c0c" stroke-width="2" '
                 'stroke-dasharray="5 3"/>')
    parts.append(_text(x + 8, y, "Today", size=12))
    return "".join(parts)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _bar_words(bar: Bar) -> str:
    return f"{bar.title}: {bar.start.day} {bar.start:%b} to {short_date(bar.end)}, {WORDS[bar.state]}"


def _description(drawn: Chart) -> str:
    return "; ".join([_bar_words(b) for b in drawn.bars]
                     + [f"{m.title} on {written_date(m.day)}" for m in drawn.meetings])


def timeline_svg(definition: Definition, timeline: Timeline, *, current: str | None, today: dt.date,
                 strands_done: Mapping[str, bool] | None = None, finished: bool = False, title: str = "") -> str:
    """The picture of a cycle's timeline, as an SVG element to inline in a page."""
    return svg(chart(definition, timeline, current=current, today=today, strands_done=strands_done,
                     finished=finished, title=title))


__all__ = ["Bar", "Chart", "Diamond", "chart", "svg", "timeline_svg"]
