"""Where each part of a merged scenario mapping came from: file and location in that file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.errors import Loc


class Origin:
    """Which file supplied each part of the merged mapping (parallel tree), and where in that file.

    `local` is the location of the node in its own file (a child scenario's first event is its
    `events[0]`, whatever the number of the base's events before it in the merged list).
    """

    __slots__ = ("file", "kids", "local")

    def __init__(
        self, file: str, kids: dict[Any, Origin] | list[Origin] | None = None, local: Loc = ()
    ) -> None:
        self.file = file
        self.kids = kids
        self.local = local

    def child(self, key: Any) -> Origin:
        if isinstance(self.kids, dict) and key in self.kids:
            return self.kids[key]
        if isinstance(self.kids, list) and isinstance(key, int) and 0 <= key < len(self.kids):
            return self.kids[key]
        return Origin(self.file, None, (*self.local, key))

    def file_at(self, loc: Sequence[Any]) -> str:
        """The file that supplied the value at `loc` (or its nearest existing ancestor)."""
        return self.at(loc)[0]

    def at(self, loc: Sequence[Any]) -> tuple[str, Loc]:
        """(file, location in that file) of the value at merged location `loc`."""
        node = self
        depth = 0
        for seg in loc:
            if node.kids is None or not _has(node.kids, seg):
                break
            node = node.child(seg)
            depth += 1
        return node.file, (*node.local, *loc[depth:])


def _has(kids: dict[Any, Origin] | list[Origin], key: Any) -> bool:
    if isinstance(kids, dict):
        return key in kids
    return isinstance(key, int) and 0 <= key < len(kids)
