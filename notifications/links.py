"""Links in emails: each email leads to where its reader acts, on the site's configured address.

The workers render emails without a request, so the address is the setting
CYCLE_WEB_BASE_URL (`workflow.settings.Settings.site_url`). Unset, emails say
nothing of links: a made-up localhost address would lead a reader nowhere.
Every link is a path of the site; a reader not signed in is taken through the
sign-in page and back to it (`web.next_path`).

The templates are given the links (`links`, and a `url` on each paper or
document) and place them in their words; whatever link a template did not place
is added at the foot of the email (`with_links`), so an admin's template without
them still leads its reader to My work.
"""

from __future__ import annotations

import html as markup
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from workflow.definition.model import DecisionGate, Definition, PapersGate, Stage
from workflow.definition.who_acts import may


@dataclass(frozen=True)
class Links:
    """The site's addresses an email may link to; with no `site`, every one is '' (no link)."""

    site: str = ""

    def __bool__(self) -> bool:
        return bool(self.site)

    def url(self, path: str, query: dict[str, str] | None = None) -> str:
        if not self.site:
            return ""
        return f"{self.site}{path}" + (f"?{urlencode(query)}" if query else "")

    def my_work(self) -> str:
        return self.url("/my-work")

    def paper(self, paper_id: int) -> str:
        """An attached paper (its row id), opened by those entitled to it."""
        return self.url(f"/papers/{paper_id}")

    def attach(self, cycle_key: str, paper: str) -> str:
        """The attach form, with the definition's paper chosen."""
        return self.url(f"/cycles/{quote(cycle_key, safe='')}/papers/new", {"paper": paper})

    def decide(self, cycle_key: str, board: str, item: str) -> str:
        """The decision form, for the board and the item it decides."""
        return self.url(f"/cycles/{quote(cycle_key, safe='')}/decisions/new", {"board": board, "item": item})

    def document(self, cycle_key: str, document_id: int) -> str:
        """A sign-off record on its cycle's Documents page, where its PDF, Word and HTML files are."""
        return self.url(f"/cycles/{quote(cycle_key, safe='')}/documents") + (f"#document-{document_id}"
                                                                            if self.site else "")


def actions(links: Links, definition: Definition, cycle_key: str, stage: Stage, person: str,
            attached: Iterable[str] = ()) -> list[dict[str, str]]:
    """The forms that meet a stage's gates, for a reader whose roles let them use each: attaching each named
    paper not yet `attached` (definition paper ids), and recording each decision its board takes."""
    if not links:
        return []
    done = set(attached)
    found: list[dict[str, str]] = []
    attach, decide = may(definition, person, "attach"), may(definition, person, "decide")
    for transition in definition.transitions_from(stage.id):
        for gate in transition.gates:
            if isinstance(gate, PapersGate) and attach:
                found += [{"text": f"Attach the paper \u201c{definition.papers.get(p, p)}\u201d",
                           "url": links.attach(cycle_key, p)} for p in gate.papers if p not in done]
            elif isinstance(gate, DecisionGate) and decide:
                board = definition.boards[gate.board].name if gate.board in definition.boards else gate.board
                found.append({"text": f"Record the {board}'s decision on \u201c"
                                      f"{definition.item_title(gate.board, gate.item)}\u201d",
                              "url": links.decide(cycle_key, gate.board, gate.item)})
    unique = {item["url"]: item for item in found}
    return list(unique.values())


def unplaced(links: list[tuple[str, str]], text: str, html: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (words, url) pairs the text part and the HTML part do not already link to."""
    wanted = [(words, url) for words, url in links if url]
    return ([(w, u) for w, u in wanted if u not in text],
            [(w, u) for w, u in wanted if markup.escape(u) not in html and u not in html])


_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def with_links(text: str, html: str, links: list[tuple[str, str]]) -> tuple[str, str]:
    """The email's two parts, with each link of `links` (words, url) that a part lacks added at its foot."""
    for_text, for_html = unplaced(links, text, html)
    if for_text:
        text = text.rstrip("\n") + "\n\n" + "\n".join(f"{words}: {url}" for words, url in for_text) + "\n"
    if for_html:
        items = "".join(f'<li><a href="{markup.escape(url)}" style="color:#1d70b8">{markup.escape(words)}</a></li>'
                        for words, url in for_html)
        block = f'<ul class="links" style="margin:16px 28px;padding-left:20px">{items}</ul>'
        ends = list(_BODY_END.finditer(html))
        html = html[:ends[-1].start()] + block + html[ends[-1].start():] if ends else html + block
    return text, html


MY_WORK = "Everything waiting for you: My work"


def context_links(links: Links, actions_found: list[dict[str, str]] | None = None, **more: Any) -> dict[str, Any]:
    """The `links` a template is given: My work, the forms to act in, and any other named address."""
    return {"my_work": links.my_work(), "actions": actions_found or [], **more}
