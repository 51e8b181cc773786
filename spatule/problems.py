"""Problems found in the input: every file or object not used, and why.

Nothing is dropped silently: each reader returns the problems it found next to
what it could use. ``problems.csv`` is the union of them; the policy
``labels.on_problem`` decides whether defects stop the run.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Iterable, Sequence

from spatule.tables import read_csv, write_csv


class SpatuleError(Exception):
    """An error meant for the user: the message names the file and the defect."""


class Severity(str, Enum):
    """How bad a problem is.

    ``error``: a defect; the file or object is not used, and ``on_problem: error``
    stops the run. ``warning``: something was wrong but could be mended (box
    clipped, real image size used); the item is used. ``info``: not a defect,
    the item is not used for a stated reason (a photo without XML, another class).
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Action(str, Enum):
    """What was done with the item."""

    SKIPPED = "skipped"
    CLIPPED = "clipped"
    USED = "used"


@dataclass(frozen=True)
class Problem:
    """One row of ``problems.csv``.

    ``file`` is relative to the labels folder (or the path of a side file such
    as ``identities.csv``); ``object`` the 1-based ``<object>`` index in the XML
    (or the CSV line), ``None`` when the whole file is concerned.
    """

    file: str
    object: int | None
    code: str
    severity: Severity
    action: Action
    detail: str

    def describe(self) -> str:
        """One human line: ``file [object N]: detail``."""
        where = self.file if self.object is None else f"{self.file} [object {self.object}]"
        return f"{where}: {self.detail}"


PROBLEM_COLUMNS = [f.name for f in fields(Problem)]


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Stable, reproducible order: by file, object, code."""
    return sorted(problems, key=lambda p: (p.file, -1 if p.object is None else p.object, p.code, p.detail))


def write_problems(path: Path, problems: Iterable[Problem]) -> None:
    """Write ``problems.csv`` (header always present, rows sorted)."""
    write_csv(path, PROBLEM_COLUMNS, ([p.file, p.object, p.code, p.severity.value, p.action.value, p.detail]
                                      for p in sort_problems(problems)))


def read_problems(path: Path) -> list[Problem]:
    """Read a ``problems.csv`` written by :func:`write_problems`."""
    return [Problem(row["file"], int(row["object"]) if row["object"] else None, row["code"],
                    Severity(row["severity"]), Action(row["action"]), row["detail"])
            for row in read_csv(path)]


def enforce_policy(problems: Sequence[Problem], on_problem: str, what: str) -> None:
    """Raise one :class:`SpatuleError` naming every defect when ``on_problem == 'error'``.

    ``what`` names the input (e.g. the labels folder) for the message's first line.
    """
    if on_problem not in ("skip", "error"):
        raise SpatuleError(f"labels.on_problem must be 'skip' or 'error', not {on_problem!r}")
    defects = [p for p in sort_problems(problems) if p.severity is Severity.ERROR]
    if on_problem == "error" and defects:
        lines = "\n".join(f"  - {p.describe()}" for p in defects)
        raise SpatuleError(
            f"{len(defects)} defect(s) in {what} and labels.on_problem is 'error':\n{lines}\n"
            "Fix them, or set labels.on_problem: skip to skip them (each is then recorded in problems.csv)."
        )


NOT_DOUBTFUL = frozenset({"other_class", "duplicate_object"})
"""Skipped objects that cannot be an unlabelled tag: another class by design, a duplicate of a kept box."""


def doubtful_xml(problems: Iterable[Problem]) -> set[str]:
    """XML files with a skipped object that may be a tag (not one of :data:`NOT_DOUBTFUL`): their
    photos are neither ground for synthesis nor held-out truth, since a tag there is unlabelled."""
    return {p.file for p in problems
            if p.object is not None and p.action is Action.SKIPPED and p.code not in NOT_DOUBTFUL}
