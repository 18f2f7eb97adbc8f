"""Invalid definitions: every problem is reported on the right line and field, and nothing else.

Each file in tests/invalid/ is a complete definition with deliberate mistakes and
a header line per expected problem:

    # expect: LINE FIELD :: SUBSTRING

LINE is the 1-based line (or `-` for none), FIELD the exact field path and
SUBSTRING a piece of the message. The loader must report exactly those problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from workflow.definition import yamlfile
from workflow.definition.loader import load_definition, parse_definition
from workflow.definition.yamlfile import YList, YMap
from workflow.errors import DefinitionError, Problem

INVALID = Path(__file__).resolve().parent / "invalid"
TEMPLATES = INVALID / "templates"
SHIPPED = Path(__file__).resolve().parent.parent / "definitions" / "community_safety_strategy.yaml"
CASES = sorted(INVALID.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (?P<line>\d+|-) (?P<field>\S.*?) :: (?P<substring>.+)$")


@dataclass(frozen=True)
class Expected:
    line: int | None
    field: str
    substring: str

    def matches(self, problem: Problem) -> bool:
        return problem.line == self.line and problem.field == self.field and self.substring in problem.message

    def __str__(self) -> str:
        return f"{self.line or '-'} {self.field} :: {self.substring}"


def expectations(path: Path) -> list[Expected]:
    found = []
    for text in path.read_text(encoding="utf-8").splitlines():
        if text.startswith("# expect:"):
            m = EXPECT.match(text)
            assert m, f"{path.name}: malformed expect line: {text!r}"
            line = None if m["line"] == "-" else int(m["line"])
            found.append(Expected(line, m["field"], m["substring"]))
    return found


def test_the_corpus_covers_enough_cases() -> None:
    assert len(CASES) >= 18
    assert TEMPLATES.is_dir()
    for path in CASES:
        assert expectations(path), f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_invalid_definition_reports_exactly_the_expected_problems(path: Path) -> None:
    expected = expectations(path)
    with pytest.raises(DefinitionError) as raised:
        load_definition(path, templates_dir=TEMPLATES)
    problems = list(raised.value.problems)
    reported = "\n".join(f"  {p.line or '-'} {p.field} :: {p.message}" for p in problems)

    assert all(p.file == str(path) for p in problems), reported
    assert len(problems) == len(expected), f"expected {len(expected)} problems, got:\n{reported}"
    unmatched = []
    remaining = list(problems)
    for want in expected:
        hit = next((p for p in remaining if want.matches(p)), None)
        if hit is None:
            unmatched.append(want)
        else:
            remaining.remove(hit)
    assert not unmatched, "not reported:\n" + "\n".join(f"  {u}" for u in unmatched) + f"\nreported:\n{reported}"


def test_several_problems_are_all_collected() -> None:
    path = INVALID / "several_problems.yaml"
    with pytest.raises(DefinitionError) as raised:
        load_definition(path, templates_dir=TEMPLATES)
    fields = {p.field for p in raised.value.problems}
    assert len(raised.value.problems) >= 6
    assert {"version", "cycle.starts_in", "permissions.decide", "boards.board.members.membr_c"} <= fields


def test_error_text_names_the_file_line_and_field() -> None:
    path = INVALID / "unknown_role.yaml"
    with pytest.raises(DefinitionError) as raised:
        load_definition(path, templates_dir=TEMPLATES)
    text = str(raised.value)
    assert str(path) in text
    assert text.startswith("the definition has 2 problems:")
    owner = next(p for p in raised.value.problems if p.field == "stages.drafting.owner")
    assert f"{path}:{owner.line}: stages.drafting.owner: unknown role 'autor'" in text


def test_a_file_that_is_not_a_definition_is_quoted_short_never_echoed(tmp_path: Path) -> None:
    # A file of another kind (here shaped as /etc/passwd) names its file, line and field, and quotes at most
    # 40 characters of one line: the problem may be shown to someone who may not read the file.
    path = tmp_path / "passwd"
    path.write_text("".join(f"user{n}:x:{n}:{n}:SECRET{n}:/home/u{n}:/bin/sh\n" for n in range(50)))
    with pytest.raises(DefinitionError) as raised:
        load_definition(path)
    [problem] = raised.value.problems
    assert (problem.file, problem.line, problem.field) == (str(path), 1, "definition")
    assert problem.message == "expected a mapping, got 'user0:x:0:0:SECRET0:/home/u0:/bin/sh use...'"
    assert "SECRET1" not in str(raised.value) and "\n" not in str(problem)


def test_a_long_multi_line_wrong_value_is_quoted_by_its_first_line_only() -> None:
    text = re.sub(r"(?m)^version: .*$", "version: |\n  " + "first line of a long text " * 5 + "\n  SECRET second\n  third",
                  SHIPPED.read_text(encoding="utf-8"), count=1)
    with pytest.raises(DefinitionError) as raised:
        parse_definition(text, "long.yaml")
    [problem] = raised.value.problems
    assert (problem.line, problem.field) == (9, "version")
    assert problem.message == "expected a whole number, got 'first line of a long text first line of ...'"


def test_the_broken_template_is_reported_only_when_templates_are_checked() -> None:
    # Without a templates directory nothing is checked against files; the same text is then valid.
    text = (INVALID / "broken_template.yaml").read_text(encoding="utf-8")
    definition = parse_definition(text, "broken_template.yaml", templates_dir=None)
    assert definition.documents["sign_off_record"].template == "broken.html.j2"


def test_a_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(DefinitionError) as raised:
        load_definition(missing)
    [problem] = raised.value.problems
    assert (problem.file, problem.field) == (str(missing), "file")
    assert "cannot read the file" in problem.message


def test_a_file_that_is_not_utf8_is_a_definition_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(DefinitionError) as raised:
        load_definition(path)
    [problem] = raised.value.problems
    assert problem.field == "file"
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize("text, line", [
    ("id: x\nlist: " + "[" * 1000 + "]" * 1000 + "\n", None),  # deeper than Python's recursion limit
    ("id: x\ndates:\n  - 2022-01-03\n  - 2022-01-03 25:00:00\n", 4),  # an hour that does not exist
])
def test_yaml_that_pyyaml_cannot_build_is_a_definition_error(text: str, line: int | None) -> None:
    with pytest.raises(DefinitionError) as raised:
        parse_definition(text, "garbage.yaml")
    [problem] = raised.value.problems
    assert (problem.line, problem.field) == (line, "yaml")
    assert problem.message.startswith("not valid YAML")


# --- no shape of garbage makes the loader crash ---------------------------------

def _ylist(items: list[Any], line: int) -> YList:
    result = YList(items)
    result.line, result.item_lines = line, [line] * len(items)
    return result


def _ymap(items: dict[Any, Any], line: int) -> YMap:
    result = YMap(items)
    result.line, result.key_lines, result.duplicates = line, dict.fromkeys(items, line), []
    return result


def _garbage(line: int) -> list[Any]:
    return [None, 7, True, "two words", _ylist(["x", _ylist(["y"], line)], line), _ymap({"k": _ymap({}, line)}, line)]


# The loader's own field names; any other key is an id (a person, a stage...), and slots that
# differ only in ids or list positions take the same code path, so one of them is enough.
FIELDS = {
    "id", "title", "version", "description", "cycle", "starts_in", "roles", "people", "email", "boards", "name",
    "quorum", "members", "meetings", "board", "date", "papers", "initial", "stages", "owner", "due", "final",
    "strands", "lifecycle", "at", "reminders", "transitions", "trigger", "source", "dest", "gates", "decision",
    "item", "not_before", "strands_complete", "documents", "lifecycles", "template", "to", "before", "on_due",
    "overdue_every", "escalate", "after", "notify", "permissions", "start", "decide", "attach",
}


def _slots(node: Any, shape: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any, Any, int]]:
    """Every (shape, container, key, line) of the parsed definition, depth first."""
    if isinstance(node, YMap):
        for key in list(node):
            inner = (*shape, key if key in FIELDS else "<id>")
            yield inner, node, key, node.line_of(key)
            yield from _slots(node[key], inner)
    elif isinstance(node, YList):
        for index in range(len(node)):
            inner = (*shape, "[]")
            yield inner, node, index, node.line_of(index)
            yield from _slots(node[index], inner)


def test_garbage_in_any_place_gives_problems_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put each kind of wrong value in every place of the shipped definition in turn."""
    text = SHIPPED.read_text(encoding="utf-8")
    raw = yamlfile.load(text)
    monkeypatch.setattr(yamlfile, "load", lambda _text: raw)  # parse once; the loader only reads it
    slots = {}
    for shape, container, key, line in _slots(raw):
        slots.setdefault(shape, (container, key, line))
    assert len(slots) > 100
    crashes: dict[str, str] = {}
    for container, key, line in slots.values():
        original = container[key]
        for value in _garbage(line):
            container[key] = value
            try:
                parse_definition(text, "fuzz.yaml")
            except DefinitionError as exc:
                assert exc.problems
            except Exception as exc:  # any other exception is the failure looked for
                crashes.setdefault(f"{type(exc).__name__}: {exc}", f"line {line} key {key!r} = {value!r}")
            finally:
                container[key] = original
    assert not crashes, "\n".join(f"{k} (at {v})" for k, v in crashes.items())
    parse_definition(text, "fuzz.yaml")  # and everything was put back
