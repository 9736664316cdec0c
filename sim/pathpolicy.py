"""Where the tool may read and write: one policy for every path a file or a form names.

Reads (`check_read`). A path a scenario, a sweep or a workbench form names (``extends``,
``parameters_file``, ``trade.baseline_file``, ``paths.file``, a sweep's ``base``, a picked
scenario, a ``# Compare with:`` line) is resolved with symbolic links followed, then checked:

- the name the user wrote ends in an expected extension, and so does the **target**;
- the target is reached without a symbolic link into another folder: a link is followed only
  when it is the last part of the path and points to a file in the same folder (``current.csv
  -> trade_2024.csv``); otherwise the path is refused unless links are allowed
  (``MVSIM_FOLLOW_LINKS=1`` in the environment, or ``confined(..., follow_links=True)``);
- under `confined(roots)` (the workbench: its scenarios folder and data folders) the target
  lies inside one of `roots`;
- with ``must_exist``, it is a regular file (devices, FIFOs, sockets and folders refused).

Writes (`check_write_name`, `write_new`). A file name typed in a form is a bare name (no
folder, no leading ``.``) with an expected extension, joined onto the one folder the caller
writes to; `write_new` creates it exclusively (never follows a link, never overwrites) unless
the caller passes ``overwrite=True`` (then an existing regular file is replaced atomically).

Names that become file names (scenario, run, sweep and workspace names) pass through one
sanitiser, `safe_name`. Messages name the file and field that named the path and the path as
written (normalised), never the content of any file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from sim.errors import ScenarioError

FOLLOW_LINKS_ENV = "MVSIM_FOLLOW_LINKS"  # "1": follow symbolic links into other folders
YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)
MAX_NAME_CHARS = 100  # of a sanitised name (a file name has at most 255 bytes)
MAX_NAME_BYTES = 200  # of a name typed in a form
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Policy:
    """`read_roots`: folders reads must stay in (None: anywhere, the CLI and the API);
    `follow_links`: follow symbolic links into other folders."""

    read_roots: tuple[Path, ...] | None = None
    follow_links: bool = False


_CURRENT: ContextVar[Policy | None] = ContextVar("mvsim_path_policy", default=None)


def current() -> Policy:
    """The policy in force: the innermost `confined(...)`, else the CLI's (reads anywhere;
    links into other folders only with ``MVSIM_FOLLOW_LINKS=1``)."""
    p = _CURRENT.get()
    if p is not None:
        return p
    return Policy(None, os.environ.get(FOLLOW_LINKS_ENV, "").strip() not in ("", "0"))


@contextlib.contextmanager
def confined(
    read_roots: Iterable[str | os.PathLike[str]] | None, follow_links: bool = False
) -> Iterator[Policy]:
    """Within the block, reads the loader makes stay inside `read_roots` (None: no confinement)."""
    roots = None if read_roots is None else tuple(dict.fromkeys(_real_dir(Path(r)) for r in read_roots))
    token = _CURRENT.set(Policy(roots, follow_links))
    try:
        yield _CURRENT.get() or Policy()
    finally:
        _CURRENT.reset(token)


# ----------------------------------------------------------------------------- names
def safe_name(text: str, default: str = "run") -> str:
    """`text` made into a file name: runs of characters other than letters, digits, '.', '_'
    and '-' become '_', leading/trailing '.' and '_' are dropped, at most `MAX_NAME_CHARS`;
    `default` if nothing is left. The result never holds '/' and never starts with '.'."""
    safe = _UNSAFE.sub("_", str(text)).strip("._")[:MAX_NAME_CHARS].strip("._")
    return safe or default


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a file in a folder ("'../x.yaml' contains '/'": it holds a folder
    part or a NUL, starts with '.', is empty or too long), else None."""
    if not isinstance(name, str) or not name.strip():
        return "the name is empty"
    for bad, what in (("/", "'/'"), ("\\", "'\\'"), ("\0", "a NUL character")):
        if bad in name:
            return f"{name[:60]!r} contains {what}"
    if name.startswith("."):
        return f"{name[:60]!r} starts with '.'"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"the name has {len(name)} characters"
    return None


NAME_RULE = f"a name without folders (no '/'), not starting with '.', at most {MAX_NAME_BYTES} bytes"


# ----------------------------------------------------------------------------- reads
def display(path: str | os.PathLike[str]) -> str:
    """The path as messages show it (normalised, symbolic links not resolved)."""
    return os.path.normpath(os.fspath(path))


def _real_dir(path: Path) -> Path:
    try:
        return path.resolve()
    except (RuntimeError, OSError, ValueError):
        return Path(os.path.abspath(path))


def _resolved(path: Path) -> Path | None:
    """The absolute path with symbolic links resolved, or None for a link loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        return None


def inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether the resolved `path` lies in one of the (resolved) `roots`."""
    return any(path == r or path.is_relative_to(r) for r in roots)


def _refuse(file: str | None, field: str, disp: str, message: str) -> ScenarioError:
    if file is None:
        return ScenarioError(disp, field, message)
    return ScenarioError(file, field, f"{disp}: {message}")


def check_read(
    folder: str | os.PathLike[str],
    written: str | os.PathLike[str],
    suffixes: Sequence[str],
    what: str,
    file: str | None,
    field: str,
    *,
    must_exist: bool = False,
    policy: Policy | None = None,
) -> Path:
    """The path `written` (relative to `folder`, as the user's `file` names it in `field`),
    checked against the policy; raises ScenarioError(file, field, ...) if refused.

    Returns `folder / written` (the caller reads it and reports a missing file in its own
    words unless `must_exist`). `what` is the kind of file expected ("a scenario file").
    """
    pol = policy or current()
    path = Path(folder) / written
    disp = display(path)
    if "\0" in os.fspath(written):
        raise _refuse(file, field, disp.replace("\0", "\\0"), f"not a valid file name; expected {what}")
    ends = " or ".join(suffixes)
    if path.suffix.lower() not in suffixes:
        message = f"{disp} does not end in {ends}; expected {what} with that extension"
        raise ScenarioError(disp, field, message) if file is None else ScenarioError(file, field, message)
    real = _resolved(path)
    if real is None:
        raise _refuse(file, field, disp, f"symbolic link loop; expected {what}")
    lexical = Path(os.path.normpath(os.path.join(_real_dir(Path(folder)), os.fspath(written))))
    if real != lexical:
        same_folder = real.parent == lexical.parent and _real_dir(lexical.parent) == lexical.parent
        if not same_folder and not pol.follow_links:
            raise _refuse(
                file,
                field,
                disp,
                f"reached through a symbolic link into another folder; expected {what} in the folder "
                + (
                    "named"
                    if pol.read_roots is not None
                    else f"named (to follow such links, set {FOLLOW_LINKS_ENV}=1)"
                ),
            )
        if real.suffix.lower() not in suffixes:
            raise _refuse(
                file, field, disp, f"a symbolic link to a file that does not end in {ends}; expected {what}"
            )
    if pol.read_roots is not None and not inside(real, pol.read_roots):
        roots = ", ".join(str(r) for r in pol.read_roots)
        raise _refuse(file, field, disp, f"outside the folders read here ({roots}); expected {what} in them")
    if must_exist:
        try:
            mode = real.stat().st_mode
        except FileNotFoundError:
            raise _refuse(file, field, disp, f"file not found; expected {what}") from None
        except OSError as exc:
            raise _refuse(file, field, disp, f"cannot read: {exc.strerror or exc}; expected {what}") from None
        if stat.S_ISDIR(mode):
            raise _refuse(file, field, disp, f"is a directory; expected {what}")
        if not stat.S_ISREG(mode):
            raise _refuse(
                file, field, disp, f"is not a regular file (a device, FIFO or socket); expected {what}"
            )
    return path


# ----------------------------------------------------------------------------- writes
def check_write_name(folder: str | os.PathLike[str], name: str, suffixes: Sequence[str], field: str) -> Path:
    """`folder / name` for a file name typed in a form (`field`); refused (ScenarioError) if
    `name` holds a folder part, starts with '.', lacks one of `suffixes` or would land outside
    `folder` (e.g. through a symbolic link already there)."""
    folder = Path(folder)
    ends = " or ".join(suffixes)
    problem = name_problem(name)
    if problem is not None:
        raise ScenarioError(
            field, "", f"{problem}; expected {NAME_RULE}, ending in {ends}, saved in {folder}"
        )
    if Path(name).suffix.lower() not in suffixes:
        raise ScenarioError(
            field, "", f"{name[:60]!r} does not end in {ends}; expected a file name ending in {ends}"
        )
    target = folder / name
    if target.is_symlink():
        raise ScenarioError(field, "", f"{display(target)} is a symbolic link; expected a new file name")
    real_folder = _real_dir(folder)
    if _real_dir(target).parent != real_folder:
        raise ScenarioError(field, "", f"{name[:60]!r} is outside {folder}; expected a file name in it")
    return target


def write_new(path: str | os.PathLike[str], text: str, *, overwrite: bool = False, field: str = "") -> Path:
    """Write `text` (UTF-8) to `path`, a new file (created exclusively, no link followed).

    An existing file (or link) is refused with ScenarioError unless `overwrite`; then a
    regular file is replaced atomically (a link, directory or device is still refused)."""
    path = Path(path)
    disp = display(path)
    data = text.encode("utf-8")
    if overwrite and os.path.lexists(path):
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError(
                disp, field, "not a regular file (a link, directory or device); expected a file to replace"
            )
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return path
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        raise ScenarioError(
            disp, field, "file exists; expected a new file name (or choose to overwrite)"
        ) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


__all__ = [
    "CSV_SUFFIXES",
    "FOLLOW_LINKS_ENV",
    "NAME_RULE",
    "YAML_SUFFIXES",
    "Policy",
    "check_read",
    "check_write_name",
    "confined",
    "current",
    "display",
    "inside",
    "name_problem",
    "safe_name",
    "write_new",
]
