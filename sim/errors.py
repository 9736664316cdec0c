"""Errors for bad user input: scenario files, data files and command-line arguments.

Every problem names the file, where in it (``file:LINE:COLUMN`` of the value when the
file is YAML the loader read, or of its parent mapping when a key is missing), the field
(a dotted/indexed path such as ``routes[2].capacity_per_year`` or ``events[3].action.route``,
in the terms of the file that holds it: its own list indices) and what was expected.
``str(error)`` is exactly the human message, one problem per line::

    scenarios/x.yaml:42:7: routes[0].capacity_per_year: expected a number, got 'lots'

The CLI prints ``error: <message>`` and exits with ``EXIT_BAD_INPUT``.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
LOG_DIR_ENV = "MVSIM_LOG_DIR"  # where tracebacks of internal errors go (default: <tmp>/mvsim-logs)

Loc = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_LOC_TOKEN = re.compile(
    r"""\.?([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]|\[('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\]"""
)


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


def parse_loc(text: str) -> Loc | None:
    """The location tuple `format_loc` rendered as `text`, or None if `text` is no such path."""
    import ast

    out: list[str | int] = []
    pos = 0
    while pos < len(text):
        m = _LOC_TOKEN.match(text, pos)
        if m is None or (m.group(0).startswith(".") and not out):
            return None
        if m.group(1) is not None:
            if not m.group(0).startswith(".") and out:
                return None
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(int(m.group(2)))
        else:
            try:
                out.append(str(ast.literal_eval(m.group(3))))
            except (ValueError, SyntaxError):
                return None
        pos = m.end()
    return tuple(out) if out else None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what was expected.

    `line` and `column` (1-based) locate the value in `file` when known; `key` marks a problem
    with the key itself (an unknown key or name), located at the key rather than at its value."""

    file: str
    field: str
    message: str
    line: int | None = None
    column: int | None = None
    key: bool = False

    @property
    def where(self) -> str:
        """``file``, ``file:LINE`` or ``file:LINE:COLUMN``."""
        if not self.file or self.line is None:
            return self.file
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column is not None else "")

    def __str__(self) -> str:
        return ": ".join(part for part in (self.where, self.field, self.message) if part)


class ScenarioError(Exception):
    """Bad scenario input. ``file``, ``line``, ``field`` and ``expected`` describe the first
    problem; ``problems`` holds all of them (each printed on its own line)."""

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        file: str | os.PathLike[str] = "",
        field: str = "",
        expected: str = "",
        *,
        line: int | None = None,
        column: int | None = None,
        problems: Iterable[Problem] | None = None,
    ) -> None:
        items = (
            tuple(problems)
            if problems is not None
            else (Problem(os.fspath(file), field, expected, line, column),)
        )
        if not items:
            raise ValueError("ScenarioError needs at least one problem")
        self._set(items)

    def _set(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        first = problems[0]
        self.file, self.field, self.expected = first.file, first.field, first.message
        self.line = first.line
        Exception.__init__(self, "\n".join(str(p) for p in problems))

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.problems))


class InputError(ScenarioError):
    """Bad command-line input (an option value, a missing output directory, ...)."""

    def __init__(self, expected: str, *, field: str = "", file: str | os.PathLike[str] = "") -> None:
        super().__init__(file, field, expected)


def describe_os_error(exc: OSError, doing: str = "") -> str:
    """One line for an operating-system error: what failed, on which path, and why."""
    reason = {
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOTDIR: "a path component is a file, not a directory",
        errno.EEXIST: "already exists",
    }.get(exc.errno or -1, exc.strerror or type(exc).__name__)
    path = f"{exc.filename}: " if exc.filename else ""
    prefix = f"{doing}: " if doing else ""
    return f"{prefix}{path}{reason}"


def save_traceback(argv: Sequence[str]) -> str | None:
    """Write the current exception's traceback (with the command line) to a log file; its path.

    The directory is ``$MVSIM_LOG_DIR`` or ``<tmp>/mvsim-logs``; None if it cannot be written.
    """
    text = (
        f"mvsim {' '.join(map(str, argv))}\n"
        f"python {sys.version.split()[0]}, {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n\n"
        + traceback.format_exc()
    )
    folder = os.environ.get(LOG_DIR_ENV) or os.path.join(tempfile.gettempdir(), "mvsim-logs")
    try:
        os.makedirs(folder, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=time.strftime("mvsim-%Y%m%dT%H%M%S-"), suffix=".log", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        return None
    return path


def _rebuild(cls: type[ScenarioError], problems: tuple[Problem, ...]) -> ScenarioError:
    """Unpickle helper (errors may cross process boundaries in batch runs)."""
    err = cls.__new__(cls)
    err._set(problems)
    return err
