"""Errors for bad user input: scenario files, data files and command-line arguments.

Every problem names the file, the field (a dotted/indexed path such as
``routes[2].capacity_per_year`` or ``events[3].action.route``; for syntax errors
a ``line L, column C`` location) and what was expected. ``str(error)`` is exactly
the human message, one problem per line::

    scenarios/x.yaml: routes[0].capacity_per_year: expected a number, got 'lots'

The CLI prints ``error: <message>`` and exits with ``EXIT_BAD_INPUT``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EXIT_BAD_INPUT = 2

Loc = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def format_loc(loc: Sequence[str | int]) -> str:
    """Render a location tuple as ``a.b[2].c`` (odd keys as ``['key with space']``)."""
    out = ""
    for seg in loc:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif _PLAIN_KEY.match(str(seg)):
            out += f".{seg}" if out else str(seg)
        else:
            out += f"[{str(seg)!r}]"
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what was expected."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.field, self.message) if part)


class ScenarioError(Exception):
    """Bad scenario input. ``file``, ``field`` and ``expected`` describe the first problem;
    ``problems`` holds all of them (each printed on its own line)."""

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        file: str | os.PathLike[str] = "",
        field: str = "",
        expected: str = "",
        *,
        problems: Iterable[Problem] | None = None,
    ) -> None:
        items = tuple(problems) if problems is not None else (Problem(os.fspath(file), field, expected),)
        if not items:
            raise ValueError("ScenarioError needs at least one problem")
        self._set(items)

    def _set(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        first = problems[0]
        self.file, self.field, self.expected = first.file, first.field, first.message
        Exception.__init__(self, "\n".join(str(p) for p in problems))

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.problems))


class InputError(ScenarioError):
    """Bad command-line input (an option value, a missing output directory, ...)."""

    def __init__(self, expected: str, *, field: str = "", file: str | os.PathLike[str] = "") -> None:
        super().__init__(file, field, expected)


def _rebuild(cls: type[ScenarioError], problems: tuple[Problem, ...]) -> ScenarioError:
    """Unpickle helper (errors may cross process boundaries in batch runs)."""
    err = cls.__new__(cls)
    err._set(problems)
    return err
