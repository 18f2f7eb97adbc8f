"""How `make suite` shares the tests among processes (pytest-xdist, `-n N --dist loadgroup`).

Every browser test but the whole-cycle walk runs in one process, in file order: they share one live site,
and some read what an earlier file did on it (test_boards.py before test_waiting_for.py). Being the largest group, xdist starts
it first, so the longest stretch of the run overlaps the rest. Every other test goes, one at a time, to
whichever process is free; a test marked `xdist_group` keeps its group as xdist does.

The browser tests are grouped by folder here rather than by an `xdist_group` mark because pytest 9.2 no
longer lets xdist 3.8 rename a test by its mark, which its `loadgroup` grouping relies on.
"""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

BROWSER = "tests/browser/"
# The whole-cycle walk reads nothing another browser test did (its cycle is its own year) and takes a third of
# the browser time: in a group of its own, on a site of its own, it runs beside the rest instead of after them.
WALK = BROWSER + "test_whole_cycle.py"


class OneSiteScheduling(LoadGroupScheduling):
    """`--dist loadgroup`, with the browser tests in two groups: the whole-cycle walk, and the rest."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(WALK):
            return "browser-walk"
        return "browser" if nodeid.startswith(BROWSER) else super()._split_scope(nodeid)
