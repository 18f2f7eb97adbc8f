"""What is worked out from a definition alone, kept per parsed definition so lists of cycles ask it once.

A list of 1,000 cycles asks, of every cycle, which later stages consider each paper, who holds the
roles a step needs and the like: each answer walks the definition, and depends on nothing else. The
catalog keeps one parsed definition per (id, version), which never changes, so the answers are kept per
definition object, held here so its id is not reused while kept. A changed definition (a new parse,
`dataclasses.replace`) is another object and starts with nothing kept. The last few definitions asked
about are kept; answers must be immutable (tuples, frozen dataclasses), since every caller shares them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from workflow.definition.model import Definition

T = TypeVar("T")


class PerDefinition:
    """Answers kept per definition object and key, for the last `kept` definitions asked about."""

    def __init__(self, kept: int = 32) -> None:
        self._lock = threading.Lock()
        self._limit = kept
        self._kept: OrderedDict[int, tuple[Definition, dict[Hashable, Any]]] = OrderedDict()

    def get(self, definition: Definition, key: Hashable, work: Callable[[], T]) -> T:
        """The kept answer to `key` about `definition`, worked out by `work()` the first time."""
        with self._lock:
            entry = self._kept.get(id(definition))
            if entry is None or entry[0] is not definition:
                entry = self._kept[id(definition)] = (definition, {})
                while len(self._kept) > self._limit:
                    self._kept.popitem(last=False)
            self._kept.move_to_end(id(definition))
            answers = entry[1]
        if key in answers:
            found: T = answers[key]
            return found
        answer = answers[key] = work()
        return answer


kept = PerDefinition()
"""The one store of derived answers (keys name what they answer: ('considering', paper, stage), ...)."""
