"""Pages of results: which rows a page holds, the words around it and the GOV.UK pagination links.

A list that grows with the cycles (Cycles, My work, My boards, and the API's lists when asked with
`limit`) shows one page at a time: `?page=2` on a page, `?limit=50&offset=50` on the API. A page or
offset past the end is answered with a sentence saying how many pages there are, never an empty page
that looks like nothing is there; a page number that is not a whole number from 1 is refused the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from workflow.errors import InvalidInput, NotFound

T = TypeVar("T")

PAGE_SIZE = 50
"""Rows a page of a list shows."""
API_LIMIT = 1000
"""The most rows one API request may ask for with `limit`."""


class PageOutOfRange(NotFound):
    """A page (or offset) past the last row of the list."""


def page_number(asked: str) -> int:
    """The page asked for (`?page=`): 1 when none is; a sentence for anything not a whole number from 1."""
    return whole_number(asked, "the page number", 1, default=1)


def whole_number(asked: str, what: str, least: int, *, default: int) -> int:
    """A whole number of at least `least` from a query parameter, `default` when none is given."""
    text = asked.strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) < least:
        raise InvalidInput(f"{what} is a whole number from {least}, such as {least + 1}; '{asked[:20]}' is not")
    return int(text)


@dataclass(frozen=True)
class Paging:
    """The `size` rows from `offset` (from 0) in a list of `total`: a page, or an API's `limit` and `offset`."""

    offset: int
    size: int
    total: int

    @classmethod
    def of(cls, page: int, size: int, total: int, noun: str = "cycles") -> Paging:
        """The page, or `PageOutOfRange` when the list does not reach it (page 1 of an empty list is fine)."""
        found = cls((page - 1) * size, size, total)
        if page > found.pages:
            raise PageOutOfRange(f"there is no page {page} of these {noun}: the {total:,} there are fill "
                                 f"{'page 1' if found.pages == 1 else f'pages 1 to {found.pages}'}")
        return found

    @classmethod
    def at(cls, offset: int, limit: int, total: int, noun: str) -> Paging:
        """An API's `limit` rows from `offset`, or `PageOutOfRange` past the end (offset 0 of none is fine)."""
        if offset and offset >= total:
            raise PageOutOfRange(f"there is nothing from offset {offset:,}: there are {total:,} {noun}, "
                                 f"so the last offset with any is {max(total - 1, 0):,}")
        return cls(offset, limit, total)

    @property
    def page(self) -> int:
        return self.offset // self.size + 1

    def rows(self, found: list[T]) -> list[T]:
        """This page's rows of the whole list `found`."""
        return found[self.offset:self.offset + self.size]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The number of the page's first row, from 1 (0 for an empty list)."""
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    def window(self) -> list[int | None]:
        """The page numbers the pagination links to: the first, the last, and those either side of this one,
        with None where numbers are left out (shown as an ellipsis)."""
        shown = sorted({1, self.pages, *range(max(1, self.page - 1), min(self.pages, self.page + 1) + 1)})
        found: list[int | None] = []
        for number in shown:
            if found and number - (found[-1] or 0) > 1:
                found.append(None)
            found.append(number)
        return found

    def link(self, path: str, query: dict[str, str], number: int, param: str = "page") -> str:
        """The address of page `number` (as `param`) with the list's other parameters kept."""
        kept = {k: v for k, v in query.items() if v and k != param}
        if number > 1:
            kept[param] = str(number)
        return f"{path}?{urlencode(kept)}" if kept else path
