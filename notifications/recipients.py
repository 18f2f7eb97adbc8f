"""Who a recipient rule means, for one stage: 'board_voting', 'owner', 'board_chair:mk_together' ..."""

from __future__ import annotations

from workflow.definition.model import Definition, Stage


def resolve(definition: Definition, stage: Stage, specs: tuple[str, ...]) -> list[str]:
    """The people the specs name, in a stable order, each once."""
    people: list[str] = []
    for spec in specs:
        kind, _, arg = spec.partition(":")
        board = definition.boards.get(arg or stage.board or "")
        found: tuple[str, ...] = ()
        if kind == "board_voting" and board:
            found = board.voting
        elif kind == "board_members" and board:
            found = tuple(person for person, _ in board.members)
        elif kind == "board_chair" and board:
            found = (board.chair,) if board.chair else ()
        elif kind == "owner" and stage.owner:
            found = tuple(p.id for p in definition.people.values() if stage.owner in p.roles)
        elif kind == "role":
            found = tuple(p.id for p in definition.people.values() if arg in p.roles)
        elif kind == "person":
            found = (arg,)
        people.extend(p for p in found if p not in people)
    return people

