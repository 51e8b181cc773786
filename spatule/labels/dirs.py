"""``labels.dir``: one labels folder or several, read as one, and where each photo of the combined labels lies.

An entry is a folder of photos with their labelImg XML beside them (nested folders too), or a pair
``{xml: FOLDER, photos: FOLDER}``: XML in one folder, each labelling the photo at the same place under the other
(rule detect writes ``results/detect/voc/`` so over ``detect.images``); of a pair only the photos an XML labels
are read. With one entry every file is named by its path in its folder, as ever. With several, each name starts
with its folder's short name, the fewest trailing parts of the folder's path that tell all the folders apart
(``photos/IMAG0001.JPG``, ``new/camera2/IMAG2022.JPG``, ``voc/camera2/IMAG2022.xml``). ``dirs / image`` is the
photo's path, as ``folder / image`` is for one folder, so the stages that read photos take either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping, Sequence

from spatule.problems import SpatuleError


@dataclass(frozen=True)
class LabelDir:
    """One entry of ``labels.dir``: where its XML and its photos lie (the same folder unless ``paired``), and the
    short names its files are named under (``""`` with one entry)."""

    xml: Path
    photos: Path
    paired: bool = False
    xml_prefix: str = ""
    photo_prefix: str = ""

    def name(self, rel: str) -> str:
        """The combined name of a file at ``rel`` (a path in the entry's XML or photo folder)."""
        prefix = self.photo_prefix
        if self.paired and PurePosixPath(rel).suffix.lower() == ".xml":
            prefix = self.xml_prefix
        return f"{prefix}/{rel}" if prefix else rel

    def as_config(self) -> str | dict[str, str]:
        """The entry as ``labels.dir`` gives it."""
        return {"xml": str(self.xml), "photos": str(self.photos)} if self.paired else str(self.photos)


class LabelDirs:
    """The entries of ``labels.dir``, in order (:meth:`of` reads the config value)."""

    def __init__(self, entries: Sequence[LabelDir]):
        self.entries = tuple(entries)

    @classmethod
    def of(cls, value: Any) -> "LabelDirs":
        """From ``labels.dir``: a folder, or a list of folders and ``{xml, photos}`` pairs (or a LabelDirs)."""
        if isinstance(value, LabelDirs):
            return value
        items = [value] if isinstance(value, (str, os.PathLike)) else list(value)
        if not items:
            raise SpatuleError("labels.dir: an empty list; give a folder, or several")
        entries = [_entry(item) for item in items]
        seen: dict[tuple[str, str, bool], int] = {}
        for k, entry in enumerate(entries):
            key = (os.path.abspath(entry.xml), os.path.abspath(entry.photos), entry.paired)
            if key in seen:
                raise SpatuleError(f"labels.dir lists {entry.as_config()} twice (entries {seen[key] + 1} and {k + 1})")
            seen[key] = k
        if len(entries) == 1:
            return cls(entries)
        short = short_names([p for e in entries for p in (e.xml, e.photos)])
        return cls([LabelDir(e.xml, e.photos, e.paired, short[os.path.abspath(e.xml)],
                             short[os.path.abspath(e.photos)]) for e in entries])

    def __truediv__(self, image: str) -> Path:
        """The photo named ``image`` in the combined labels."""
        if len(self.entries) == 1:
            return self.entries[0].photos / image
        owners = [e for e in self.entries if image.startswith(e.photo_prefix + "/")]
        if not owners:
            raise SpatuleError(f"{image}: in none of the labels.dir folders ({self})")
        entry = max(owners, key=lambda e: len(e.photo_prefix))
        return entry.photos / image[len(entry.photo_prefix) + 1:]

    def __str__(self) -> str:
        if len(self.entries) == 1 and not self.entries[0].paired:
            return str(self.entries[0].photos)
        return ", ".join(str(e.as_config()) for e in self.entries)

    def folders(self) -> list[str]:
        """Every folder of the entries, XML folders and photo folders, once each, in order (rule inputs)."""
        return list(dict.fromkeys(str(p) for e in self.entries for p in (e.xml, e.photos)))

    def photo_folders(self, paired: bool = True) -> list[str]:
        """The entries' photo folders, normalised (``os.path.normpath``); ``paired`` False: only those of the
        entries that are folders (photos with their XML beside them), not ``{xml, photos}`` pairs."""
        return [os.path.normpath(e.photos) for e in self.entries if paired or not e.paired]

    def as_config(self) -> str | list[str | dict[str, str]]:
        """``labels.dir`` as given: one folder as its path, else the list (for provenance.json)."""
        if len(self.entries) == 1 and not self.entries[0].paired:
            return str(self.entries[0].photos)
        return [e.as_config() for e in self.entries]


def dir_problems(value: Any) -> list[str]:
    """What is wrong with a ``labels.dir`` value the schema let through (a folder listed twice), for the
    workflow's config check."""
    try:
        LabelDirs.of(value)
    except SpatuleError as exc:
        return [str(exc)]
    return []


def _entry(item: Any) -> LabelDir:
    """One ``labels.dir`` entry: a folder, or ``{xml, photos}``."""
    if isinstance(item, (str, os.PathLike)) and str(item):
        return LabelDir(Path(item), Path(item))
    if isinstance(item, Mapping) and set(item) == {"xml", "photos"} and all(
            isinstance(item[k], (str, os.PathLike)) and str(item[k]) for k in ("xml", "photos")):
        return LabelDir(Path(item["xml"]), Path(item["photos"]), paired=True)
    raise SpatuleError(f"labels.dir: {item!r} is neither a folder nor {{xml: FOLDER, photos: FOLDER}}")


def short_names(folders: Iterable[os.PathLike | str]) -> dict[str, str]:
    """Each folder's short name, by its absolute path: the fewest trailing parts of the path that tell all the
    folders apart (no name a folder of another either), joined with ``/``."""
    parts = {os.path.abspath(f): Path(os.path.abspath(f)).parts[1:] for f in folders}
    for k in range(1, max(len(p) for p in parts.values()) + 1):
        names = {f: "/".join(p[-k:]) for f, p in parts.items()}
        taken = set(names.values())
        if len(taken) == len(names) and "" not in taken and not any(
                a.startswith(b + "/") for a in taken for b in taken):
            return names
    raise SpatuleError(f"labels.dir: cannot name the folders {', '.join(sorted(parts))} apart")


def same_photo_problems(used: Mapping[str, tuple[Path, str, int]]) -> list[str]:
    """Photos of two entries (name -> (path, what labels it, entry)) that are one photo: the same file (links
    included), or the same bytes; one line per pair, naming both."""
    import hashlib

    by_file: dict[str, list[str]] = {}
    for name, (path, _, _) in sorted(used.items()):
        by_file.setdefault(os.path.realpath(path), []).append(name)
    by_size: dict[int, list[str]] = {}
    for names in by_file.values():
        by_size.setdefault(used[names[0]][0].stat().st_size, []).append(names[0])
    groups = list(by_file.values())
    for names in (n for n in by_size.values() if len(n) > 1):
        by_sha: dict[str, list[str]] = {}
        for name in names:
            by_sha.setdefault(hashlib.sha256(used[name][0].read_bytes()).hexdigest(), []).append(name)
        groups += list(by_sha.values())
    ordered = [sorted(names, key=lambda n: (used[n][2], n)) for names in groups]  # in labels.dir's order
    return [f"{a} ({used[a][1]}) and {b} ({used[b][1]}) are the same photo"
            for names in ordered for i, a in enumerate(names) for b in names[i + 1:] if used[a][2] != used[b][2]]
