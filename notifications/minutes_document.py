"""A board meeting's minutes as a document: HTML and a PDF (WeasyPrint), laid out as the council's minutes are.

`render_minutes(minutes)` takes the minutes a reader may see (`workflow.reads.minutes.minutes_of`), so a
private minute is in the document only when it was in what the read gave that reader. The document says
DRAFT on every page until the minutes are approved, then "Signed by the chair" with the chair's name and
the day of the meeting that approved them.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from workflow.definition.formatting import written_date
from workflow.reads.minutes import Minutes

from .pdf import to_pdf

STYLE = """  .minutes-document { font: 11pt/1.4 Arial, Helvetica, sans-serif; color: #0b0c0c; }
  .minutes-document h1 { font-size: 13pt; text-align: center; margin: 0 0 6mm; }
  .minutes-document .state { text-align: center; font-weight: bold; margin-bottom: 6mm; }
  .minutes-document .draft { color: #b00; }
  .minutes-document table.attendance { border-collapse: collapse; width: 100%; margin-bottom: 6mm; }
  .minutes-document table.attendance th { text-align: left; vertical-align: top; width: 32%; padding: 0 4mm 3mm 0; }
  .minutes-document table.attendance td { vertical-align: top; padding: 0 0 3mm; }
  .minutes-document section.minute { margin: 0 0 5mm; page-break-inside: avoid; }
  .minutes-document h2 { font-size: 11pt; margin: 0 0 2mm; }
  .minutes-document h2 .number { display: inline-block; width: 22mm; }
  .minutes-document .lead { font-weight: bold; margin: 2mm 0 1mm; }
  .minutes-document ol.resolved, .minutes-document p.resolved { margin: 0 0 2mm 22mm; }
  .minutes-document .vote { margin-left: 22mm; color: #505a5f; }
  .minutes-document .body { margin-left: 22mm; }
  .minutes-document .private-part { border-top: 2px solid #0b0c0c; margin-top: 6mm; padding-top: 3mm; }
  .minutes-document .signed { margin-top: 10mm; font-weight: bold; }
"""
"""The document's own rules, scoped to it: the agenda pack carries the minutes inside its own page."""

BODY = """<div class="minutes-document">
<h1>{{ m.heading }}</h1>
{% if draft %}<p class="state draft">DRAFT: not yet approved (version {{ m.version }})</p>{% endif %}
<table class="attendance">
{% for label, people in groups %}{% if people %}
<tr><th scope="row">{{ label }}:</th><td>{{ people | join(", ") }}</td></tr>
{% endif %}{% endfor %}
</table>
{% macro minute(x) %}
<section class="minute">
<h2><span class="number">{{ x.number }}</span> {{ x.title }}</h2>
{% for line in x.narrative.split("\n") if line.strip() %}<p class="body">{{ line }}</p>{% endfor %}
{% for line in x.interests %}<p class="body">{{ line }}</p>{% endfor %}
{% if x.lead %}<p class="lead body">{{ x.lead }}</p>{% endif %}
{% if x.resolved | length > 1 %}<ol class="resolved">{% for line in x.resolved %}<li>{{ line }}</li>{% endfor %}</ol>
{% else %}{% for line in x.resolved %}<p class="resolved">{{ line }}</p>{% endfor %}{% endif %}
{% if x.vote %}<p class="vote">({{ x.vote }})</p>{% endif %}
</section>
{% endmacro %}
{% for x in m.public %}{{ minute(x) }}{% endfor %}
{% if m.exclusion %}{{ minute(m.exclusion) }}{% endif %}
{% if m.private %}
<div class="private-part">
<p class="lead">Not for publication: exempt information under Schedule 12A of the Local Government Act 1972</p>
{% for x in m.private %}{{ minute(x) }}{% endfor %}
</div>
{% endif %}
{% if signed %}<p class="signed">Signed by the chair: {{ m.signed_by }}, as approved at the meeting held on {{ signed }}</p>
{% else %}<p class="signed draft">DRAFT: to be approved at the next meeting and signed by the chair</p>{% endif %}
</div>
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{{ heading }}</title>
<style>
  @page { size: A4; margin: 22mm 20mm 20mm 20mm;
          @top-right { content: "{{ 'DRAFT' if draft else '' }}"; font: bold 11pt Arial, sans-serif; color: #b00; }
          @bottom-center { content: "Page " counter(page) " of " counter(pages); font: 9pt Arial, sans-serif; } }
{{ style }}</style>
</head>
<body>
{{ body }}</body>
</html>
"""


@dataclass(frozen=True)
class MinutesDocument:
    html: str
    pdf: bytes


def _body(minutes: Minutes) -> str:
    """The minutes' content (autoescaped: narratives are typed by people)."""
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    groups = [("Present", minutes.present), ("Co-opted members without voting rights", minutes.co_opted),
              ("Observers", minutes.observers), ("Officers", minutes.officers), ("Apologies", minutes.apologies)]
    return env.from_string(BODY).render(
        m=minutes, groups=groups, draft=minutes.status != "approved",
        signed=written_date(minutes.approved_on) if minutes.approved_on else "")


def minutes_fragment(minutes: Minutes) -> str:
    """The minutes as an HTML fragment with its own scoped style, for the agenda pack to carry."""
    return f"<style>\n{STYLE}</style>\n{_body(minutes)}"


def minutes_html(minutes: Minutes) -> str:
    """The minutes as one accessible HTML page."""
    env = Environment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(TEMPLATE).render(heading=minutes.heading, draft=minutes.status != "approved",
                                            style=Markup(STYLE), body=Markup(_body(minutes)))


def render_minutes(minutes: Minutes) -> MinutesDocument:
    """The minutes as HTML and PDF."""
    html = minutes_html(minutes)
    return MinutesDocument(html, to_pdf(html))
