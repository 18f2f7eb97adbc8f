"""Roles, people, boards, papers, meetings and permissions: who takes part and where they meet."""


from __future__ import annotations

import datetime as dt
import re

from workflow.definition.case_fields import FIELDS_PERMISSION
from workflow.definition.loader_agenda import read_agenda
from workflow.definition.loader_base import BuilderBase
from workflow.definition.loader_independence import read_independent_of
from workflow.definition.model import (
    ADMIN_COMMANDS,
    COMMANDS,
    PANEL_COMMAND,
    SYSTEM_ROLE,
    Board,
    Meeting,
    Membership,
    Person,
)
from workflow.definition.reader import (
    CLOCK_TIME,
    REMOTE_LINK,
    _describe,
    email_problem,
    suggest,
)
from workflow.definition.who_acts import keeps_board
from workflow.definition.yamlfile import YMap
from workflow.errors import quoted

MINUTE_PREFIX = re.compile(r"[A-Z]{1,10}")


class DirectorySections(BuilderBase):
    """Roles, people, boards, papers, meetings and permissions: who takes part and where they meet."""

    def read_roles(self) -> None:
        for role, text, line in self.r.entries(self.section("roles"), "roles"):
            if role == SYSTEM_ROLE:
                self.r.problem(line, f"roles.{role}", "'system' is reserved for the scheduler")
            elif not isinstance(text, str):
                self.r.problem(line, f"roles.{role}", f"expected a description, got {_describe(text)}")
            else:
                self.roles[role] = text

    def read_people(self) -> None:
        for pid, raw, line in self.r.entries(self.section("people"), "people"):
            field = f"people.{pid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("title", "name", "email", "roles"), field)
            title = self.r.get(node, "title", field, str, default=pid)
            name = self.r.get(node, "name", field, str, required=False, default="")
            email = self.r.get(node, "email", field, str, default="")
            if email and (wrong := email_problem(email)):
                self.r.problem(node.line_of("email"), f"{field}.email", f"{quoted(email)} is not one email address: {wrong}")
            roles = self.role_refs(node.get("roles", []), node.line_of("roles"), f"{field}.roles", allow_system=False)
            self.people[pid] = Person(pid, title, email, roles, name)

    def read_boards(self) -> None:
        kinds = [m.value for m in Membership]
        for bid, raw, line in self.r.entries(self.section("boards"), "boards"):
            field = f"boards.{bid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("name", "quorum", "members", "organiser", "independent_of", "minute_prefix", "agenda"),
                        field)
            name = self.r.get(node, "name", field, str, default=bid)
            members_node = self.r.mapping(node.get("members"), node.line_of("members"), f"{field}.members") \
                if "members" in node else None
            if "members" not in node:
                self.r.problem(node.line, f"{field}.members", "missing required field 'members'")
            members: list[tuple[str, Membership]] = []
            for person, kind, mline in self.r.entries(members_node, f"{field}.members"):
                if person not in self.people:
                    self.r.unknown("person", person, self.people, mline, f"{field}.members.{person}")
                if kind not in kinds:
                    self.r.problem(mline, f"{field}.members.{person}",
                                   f"unknown membership '{kind}'{suggest(kind, kinds)}; expected one of {', '.join(kinds)}")
                    continue
                members.append((person, Membership(kind)))
            voting = sum(1 for _, k in members if k in (Membership.VOTING, Membership.VOTING_CHAIR))
            quorum = self.r.get(node, "quorum", field, int, default=1)
            if quorum < 1:
                self.r.problem(node.line_of("quorum"), f"{field}.quorum", "a quorum must be at least 1")
            elif quorum > voting and members_node is not None:
                self.r.problem(node.line_of("quorum"), f"{field}.quorum",
                               f"a quorum of {quorum} is more than the board's {voting} voting members")
            if sum(1 for _, k in members if k in (Membership.CHAIR, Membership.VOTING_CHAIR)) > 1:
                self.r.problem(node.line_of("members"), f"{field}.members", "a board has at most one chair")
            organiser = self.r.get(node, "organiser", field, str, required=False)
            if organiser is not None and organiser not in self.people:
                self.r.unknown("person", organiser, self.people, node.line_of("organiser"), f"{field}.organiser")
                organiser = None
            self._lines[f"{field}.independent_of"] = node.line_of("independent_of") if "independent_of" in node else line
            self.boards[bid] = Board(bid, name, quorum, tuple(members), organiser, read_independent_of(self, node, field),
                                     self.minute_prefix(node, field), read_agenda(self, node, field))

    def minute_prefix(self, node: YMap, field: str) -> str:
        """A board's `minute_prefix`: capital letters only, so the number after it reads plainly (SMK12)."""
        prefix = self.r.get(node, "minute_prefix", field, str, required=False, default="")
        if prefix and not MINUTE_PREFIX.fullmatch(prefix):
            self.r.problem(node.line_of("minute_prefix"), f"{field}.minute_prefix",
                           f"{quoted(prefix)} is not a minute prefix; expected 1 to 10 capital letters (no digits: the "
                           "minute's number follows it), such as SMK")
            return ""
        return str(prefix)

    def read_papers(self) -> None:
        for pid, title, line in self.r.entries(self.section("papers"), "papers"):
            if not isinstance(title, str):
                self.r.problem(line, f"papers.{pid}", f"expected the paper's title, got {_describe(title)}")
                continue
            self.papers[pid] = title

    def read_meetings(self) -> None:
        meets: dict[str, tuple[int, str]] = {}  # board -> where its first meeting names it
        for mid, raw, line in self.r.entries(self.section("meetings"), "meetings"):
            field = f"meetings.{mid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("board", "title", "date", "start", "end", "duration", "venue", "remote_link", "invite"),
                        field)
            board = self.board_ref(self.r.get(node, "board", field, str), node.line_of("board"), f"{field}.board")
            title = self.r.get(node, "title", field, str, required=False, default=mid)
            date = self.r.date(node["date"], node.line_of("date"), f"{field}.date") if "date" in node else None
            if "date" not in node:
                self.r.problem(node.line, f"{field}.date", "missing required field 'date'")
            start, minutes = self.meeting_hours(node, field)
            venue = self.r.get(node, "venue", field, str, required=False, default="")
            link = self.r.get(node, "remote_link", field, str, required=False, default="")
            if link and not REMOTE_LINK.match(link):
                self.r.problem(node.line_of("remote_link"), f"{field}.remote_link",
                               f"{quoted(link)} is not a web address; expected https://...")
            invite = self.r.names(node["invite"], node.line_of("invite"), f"{field}.invite") if "invite" in node else []
            if invite:  # case roles, read after the meetings
                self.later("case role", invite, "case_roles", node.line_of("invite"), f"{field}.invite")
            if board is not None and date is not None:
                self.meetings[mid] = Meeting(mid, board, title, date, start, minutes, venue, link, tuple(invite))
                self._lines[mid] = line
                meets.setdefault(board, (node.line_of("board"), f"{field}.board"))
        if meets:  # once the permissions are read
            self._checks.append(lambda: self.check_board_keepers(meets))

    def check_board_keepers(self, meets: dict[str, tuple[int, str]]) -> None:
        """A board that meets needs a committee manager: someone must be able to move its meetings, issue its
        agendas and keep its minutes. Only of a directory read without problems: a board whose members or a
        permissions section that could not be read would be reported twice over."""
        if self.r.problems:
            return
        for board, (line, field) in meets.items():
            if board in self.boards and not any(keeps_board(self.boards[board], person, self.people, self.permissions)
                                                for person in self.people):
                self.r.problem(line, field, f"the {_unthe(self.boards[board].name)} meets, but nobody may move its meetings, "
                                            "issue its agendas or keep its minutes: give the board an organiser, or "
                                            "an officer member, who holds a role granted 'decide'")

    def clock_time(self, node: YMap, key: str, field: str) -> dt.time | None:
        """'14:00' as a time of day. Unquoted, YAML 1.1 reads 14:00 as the number 840 (base 60): take it so."""
        if key not in node:
            return None
        value = node[key]
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return dt.time(value // 60, value % 60)
        if isinstance(value, str) and (match := CLOCK_TIME.match(value.strip())) and int(match[1]) < 24:
            return dt.time(int(match[1]), int(match[2]))
        self.r.problem(node.line_of(key), f"{field}.{key}", f"expected a time of day such as 14:00, got {_describe(value)}")
        return None

    def meeting_hours(self, node: YMap, field: str) -> tuple[dt.time | None, int]:
        """The start, and the length in minutes from `end` (a time) or `duration` (minutes)."""
        start = self.clock_time(node, "start", field)
        end = self.clock_time(node, "end", field)
        if "end" in node and "duration" in node:
            self.r.problem(node.line_of("duration"), f"{field}.duration", "give 'end' or 'duration', not both")
        if ("end" in node or "duration" in node) and "start" not in node:
            self.r.problem(node.line, f"{field}.start", "a meeting with an end or a duration needs a 'start'")
        minutes = self.r.get(node, "duration", field, int, required=False, default=120)
        if "duration" in node and minutes < 1:
            self.r.problem(node.line_of("duration"), f"{field}.duration", "a duration is a number of minutes, at least 1")
        if start is not None and end is not None:
            minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            if minutes <= 0:
                self.r.problem(node.line_of("end"), f"{field}.end", f"the meeting ends at {end:%H:%M}, "
                               f"not after it starts at {start:%H:%M}")
        return start, max(minutes, 1)

    def read_permissions(self) -> None:
        node = self.section("permissions")
        for command in COMMANDS:
            self.permissions[command] = ()
        if node is None:
            self.r.problem(self.root.line, "permissions",
                           "missing required field 'permissions': which roles may start, decide and attach?")
            return
        self.r.keys(node, (*COMMANDS, *ADMIN_COMMANDS, PANEL_COMMAND, FIELDS_PERMISSION), "permissions")
        for command in (*ADMIN_COMMANDS, PANEL_COMMAND):
            if command in node:
                self.permissions[command] = self.role_refs(node[command], node.line_of(command),
                                                           f"permissions.{command}", allow_system=False)
        for command in COMMANDS:
            if command not in node:
                self.r.problem(node.line, f"permissions.{command}", f"missing required field '{command}'")
                continue
            self.permissions[command] = self.role_refs(node[command], node.line_of(command),
                                                       f"permissions.{command}", allow_system=False)
        if FIELDS_PERMISSION in node:  # who may set a case's fields after it started; else those who start it
            self.permissions[FIELDS_PERMISSION] = self.role_refs(
                node[FIELDS_PERMISSION], node.line_of(FIELDS_PERMISSION), "permissions.fields", allow_system=False)


def _unthe(name: str) -> str:
    """'Board' of 'The Board', for a sentence that says "the" itself."""
    return name[4:] if name.lower().startswith("the ") else name
