"""The shipped sign-off record template, rendered with the context documents give it: how people are named."""

from __future__ import annotations

import html
import re

from tests.conftest import DEFINITIONS
from workflow.definition.templating import DOCUMENT_CONTEXT, make_environment

OBSERVER = "Councillor, Milton Keynes Council (observer)"


def _text(ctx: dict[str, object]) -> str:
    rendered = make_environment(DEFINITIONS / "templates").get_template("sign_off_record.html.j2").render(**ctx)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())


def test_observers_with_one_title_are_told_apart_and_labelled_once() -> None:
    observers = [{"title": OBSERVER, "name": name, "membership": "observer", "chair": False, "vote": "",
                  "interest": ""} for name in ("Cllr Sarah Boyd", "Cllr Peter Nwosu")]
    chair = {"title": "Responsible Cabinet Member (Milton Keynes Council)", "name": "Cllr Fiona Grant",
             "membership": "chair", "chair": True, "vote": "", "interest": ""}
    ctx = {**DOCUMENT_CONTEXT, "decision": {**DOCUMENT_CONTEXT["decision"], "chair": chair,
                                            "non_voting_present": [chair, *observers]}}
    text = _text(ctx)
    assert "Cllr Sarah Boyd, Councillor, Milton Keynes Council (observer);" in text
    assert "Cllr Peter Nwosu, Councillor, Milton Keynes Council (observer)" in text
    assert "(observer) (observer)" not in text
    assert "Chair: Cllr Fiona Grant, Responsible Cabinet Member (Milton Keynes Council) (chair)" in text
    assert "Decision record" in text and "FOR DECISION" not in text


def test_a_record_with_no_decision_is_for_information() -> None:
    text = _text({**DOCUMENT_CONTEXT, "decision": None, "for_decision": False})
    assert "For information" in text and "Decision record" not in text
