"""The labels folder: the label files and photos under it, and which photo each XML labels.

The walk never leaves the folder (links pointing outside are recorded, not read), and an
XML's photo is looked for in the XML's own folder only: ``<path>`` and ``<folder>`` hold
the labeller's own machine's paths.
"""

from __future__ import annotations

import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Callable, Container, Iterable, Sequence

from spatule.labels.photos import IMAGE_EXTENSIONS, PhotoInfo
from spatule.problems import Action, Problem, Severity, SpatuleError
from spatule.labels.voc import VocAnnotation, parse_voc


@dataclass(frozen=True)
class FolderScan:
    """Relative paths of the label files and photos found under a folder."""

    xml_files: tuple[str, ...]
    photos: tuple[str, ...]
    problems: tuple[Problem, ...]


def scan_folder(root: Path) -> FolderScan:
    """List XML files and photos under ``root`` (nested too), sorted, never leaving it.

    Hidden folders are skipped; links that point outside ``root`` and names that
    are not valid UTF-8 are recorded as problems and not read.
    """
    if not root.is_dir():
        raise SpatuleError(f"labels.dir {root}: no such folder")
    top = root.resolve()
    xml_files: list[str] = []
    photos: list[str] = []
    problems: list[Problem] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            problems.append(_folder_link_problem(root, top, Path(dirpath) / name))
        for name in sorted(filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                problems.append(Problem(shown, None, "bad_file_name", Severity.ERROR, Action.SKIPPED,
                                        "file name is not valid UTF-8; rename it"))
                continue
            if name.startswith("."):
                continue
            suffix = full.suffix.lower()
            if suffix != ".xml" and suffix not in IMAGE_EXTENSIONS:
                continue
            if full.is_symlink() and not full.resolve().is_relative_to(top):
                problems.append(Problem(rel, None, "link_outside", Severity.ERROR, Action.SKIPPED,
                                        "symbolic link points outside labels.dir; not read"))
                continue
            (xml_files if suffix == ".xml" else photos).append(rel)
    return FolderScan(tuple(xml_files), tuple(photos), tuple(problems))


def _folder_link_problem(root: Path, top: Path, link: Path) -> Problem:
    """A symbolic link to a folder is never followed (os.walk would skip it without a word)."""
    rel = link.relative_to(root).as_posix().encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if not link.resolve().is_relative_to(top):
        return Problem(rel, None, "link_outside", Severity.ERROR, Action.SKIPPED,
                       "symbolic link to a folder outside labels.dir; not followed, nothing in it is read")
    return Problem(rel, None, "folder_link", Severity.INFO, Action.SKIPPED,
                   "symbolic link to a folder inside labels.dir; not followed (its files are read where they lie)")


def photo_lookup(photos: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """Per folder: lower-cased file name -> photos with that name."""
    lookup: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for rel in photos:
        path = PurePosixPath(rel)
        lookup[str(path.parent)][path.name.lower()].append(rel)
    return lookup


def resolve_photo(xml_rel: str, annotation: VocAnnotation,
                  lookup: dict[str, dict[str, list[str]]]) -> tuple[str | None, list[Problem]]:
    """Find the photo an XML labels, in the XML's own folder only.

    Tries ``<filename>`` (exactly, then ignoring case), then the XML's stem with
    any image extension. ``<path>`` and ``<folder>`` are not used: they hold the
    labeller's own machine's paths.
    """
    xml_path = PurePosixPath(xml_rel)
    folder = lookup.get(str(xml_path.parent), {})
    problems: list[Problem] = []
    wanted = annotation.filename
    if wanted:
        base = PureWindowsPath(wanted).name  # drops both / and \ directory parts
        if base != wanted:
            problems.append(Problem(xml_rel, None, "filename_has_path", Severity.WARNING, Action.USED,
                                    f"<filename> {wanted[:80]!r} carries a path; only {base!r} in the XML's "
                                    "folder is looked for"))
        candidates = folder.get(base.lower(), [])
        exact = [c for c in candidates if PurePosixPath(c).name == base]
        if exact:
            return exact[0], problems
        if len(candidates) == 1:
            return candidates[0], problems
    stem_matches = sorted(
        rel for ext in IMAGE_EXTENSIONS for rel in folder.get((xml_path.stem + ext).lower(), [])
    )
    if len(stem_matches) == 1:
        if wanted:
            problems.append(Problem(xml_rel, None, "filename_not_found", Severity.WARNING, Action.USED,
                                    f"<filename> {wanted!r} not found; used {PurePosixPath(stem_matches[0]).name!r}, "
                                    "the photo named like the XML"))
        return stem_matches[0], problems
    if len(stem_matches) > 1:
        problems.append(Problem(xml_rel, None, "ambiguous_photo", Severity.ERROR, Action.SKIPPED,
                                f"<filename> {wanted!r} not found and several photos are named like the XML: "
                                + ", ".join(PurePosixPath(m).name for m in stem_matches)))
        return None, problems
    looked = f"{wanted!r} or " if wanted else ""
    problems.append(Problem(xml_rel, None, "missing_photo", Severity.ERROR, Action.SKIPPED,
                            f"photo not found: no {looked}{xml_path.stem}.<jpg|jpeg|png|tif|bmp> "
                            f"in {str(xml_path.parent) if str(xml_path.parent) != '.' else 'the labels folder'}"))
    return None, problems


def pick_claims(claims: dict[str, list[str]]) -> tuple[dict[str, str], list[Problem]]:
    """One XML per photo: the one named like the photo, else the first in order."""
    chosen: dict[str, str] = {}
    problems: list[Problem] = []
    for photo, xmls in sorted(claims.items()):
        same_stem = [x for x in xmls if PurePosixPath(x).stem == PurePosixPath(photo).stem]
        winner = (same_stem or xmls)[0]
        chosen[winner] = photo
        for other in xmls:
            if other != winner:
                problems.append(Problem(other, None, "photo_claimed_twice", Severity.ERROR, Action.SKIPPED,
                                        f"labels {photo}, which {winner} already labels; ignored"))
    return chosen, problems


def pair_labels(root: Path, scan: FolderScan) -> tuple[dict[str, VocAnnotation], dict[str, str], list[Problem]]:
    """Parse every XML of ``scan`` and find the photo it labels: the parsed XMLs (by XML, those
    whose photo another XML won included), XML -> photo with one XML per photo, and the problems."""
    lookup = photo_lookup(scan.photos)
    annotations: dict[str, VocAnnotation] = {}
    claims: dict[str, list[str]] = defaultdict(list)
    problems: list[Problem] = []
    for xml_rel in scan.xml_files:
        try:
            annotation = parse_voc((root / xml_rel).read_bytes(), xml_rel)
        except SpatuleError as exc:
            problems.append(Problem(xml_rel, None, "bad_xml", Severity.ERROR, Action.SKIPPED,
                                    str(exc).removeprefix(f"{xml_rel}: ")))
            continue
        except OSError as exc:
            problems.append(Problem(xml_rel, None, "unreadable_xml", Severity.ERROR, Action.SKIPPED, str(exc)))
            continue
        photo, found = resolve_photo(xml_rel, annotation, lookup)
        problems.extend(found)
        if photo is not None:
            annotations[xml_rel] = annotation
            claims[photo].append(xml_rel)
    chosen, claim_problems = pick_claims(claims)
    return annotations, chosen, problems + claim_problems


def photos_without_xml(scan: FolderScan, parsed: Container[str],
                       labelled: Container[str]) -> tuple[list[str], list[Problem]]:
    """The photos no XML labels, in path order, and a note for each photo left out because it is
    named like an XML that could not be used (``parsed``: the XMLs that could)."""
    # A photo named like an XML that could not be used (bad XML, ambiguous) is not "without XML": never a background.
    unusable = {folder_stem(x): x for x in scan.xml_files if x not in parsed}
    problems: list[Problem] = []
    for photo in scan.photos:
        if photo not in labelled and folder_stem(photo) in unusable:
            problems.append(Problem(photo, None, "photo_xml_unusable", Severity.INFO, Action.SKIPPED,
                                    f"not used: its XML {unusable[folder_stem(photo)]} could not be used (see that "
                                    "row), so its tags are unknown and it is no tag-free background either"))
    unlabelled = [p for p in scan.photos if p not in labelled and folder_stem(p) not in unusable]
    return unlabelled, problems


def folder_stem(rel: str) -> tuple[str, str]:
    """A file's folder and lower-cased stem: what pairs a photo with its XML."""
    path = PurePosixPath(rel)
    return str(path.parent), path.stem.lower()


def probe_photos(root: Path, photos: Sequence[str], probe: Callable[[Path, bool], PhotoInfo], verify: bool,
                 threads: int = 1) -> dict[str, PhotoInfo | Problem]:
    """Each photo's size and orientation, or the problem that kept it from being read."""
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return dict(zip(photos, pool.map(lambda rel: safe_probe(root, rel, probe, verify), photos)))


def safe_probe(root: Path, rel: str, probe: Callable[[Path, bool], PhotoInfo], verify: bool) -> PhotoInfo | Problem:
    """``probe`` of one photo, or an ``unreadable_photo`` problem."""
    try:
        return probe(root / rel, verify)
    except SpatuleError as exc:
        return Problem(rel, None, "unreadable_photo", Severity.ERROR, Action.SKIPPED,
                       str(exc).removeprefix(f"{root / rel}: "))
