"""The labels folder read: every photo + labelImg XML under a folder -> tag and background rows.

XML whose photo is gone, photos without XML, ``<path>`` from another machine, names with spaces and
parentheses: walking the folder and pairing each XML with its photo is :mod:`spatule.labels.folder`;
:mod:`spatule.labels.objects` reads the objects. :func:`read_labels` reads every folder of ``labels.dir``
(:mod:`spatule.labels.dirs`) and combines them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

from spatule.labels.dirs import LabelDirs, same_photo_problems
from spatule.labels.photos import IMAGE_EXTENSIONS, PhotoInfo, probe_photo
from spatule.labels.folder import FolderScan, pair_labels, photos_without_xml, probe_photos, scan_folder
from spatule.problems import Action, Problem, Severity, SpatuleError
from spatule.labels.objects import IndexSettings, LabelledObject, _problem, read_objects
from spatule.labels.voc import VocAnnotation


def read_labels(dirs: LabelDirs, settings: IndexSettings, threads: int = 1,
                probe: Callable[[Path, bool], PhotoInfo] = probe_photo) -> tuple[list[LabelledObject], list[Problem]]:
    """Every entry of ``labels.dir`` read by :func:`read_label_folder`, its files named as
    :class:`~spatule.labels.dirs.LabelDirs` says, rows in name order; one photo labelled in two entries (the
    same file, or the same bytes) stops the read naming both."""
    rows: list[LabelledObject] = []
    problems: list[Problem] = []
    used: dict[str, tuple[Path, str, int]] = {}
    clashes: list[str] = []
    for k, entry in enumerate(dirs.entries):
        photos = entry.photos if entry.paired else None
        found_rows, found = read_label_folder(entry.xml, settings, threads, probe, photos)
        named = [replace(r, image=entry.name(r.image), xml=entry.name(r.xml) if r.xml else "") for r in found_rows]
        for row in named:
            what = f"labelled by {row.xml}" if row.xml else "no XML: a background"
            first = used.setdefault(row.image, (dirs / row.image, what, k))
            clash = f"{row.image} ({first[1]}) and {row.image} ({what}) are the same photo"
            if first[2] != k and clash not in clashes:
                clashes.append(clash)
        rows.extend(named)
        problems.extend(replace(p, file=entry.name(p.file)) for p in found)
    clashes += same_photo_problems(used) if len(dirs.entries) > 1 else []
    if clashes:
        raise SpatuleError(f"labels.dir: {len(clashes)} photo(s) labelled in two of its folders: "
                           + "; ".join(clashes) + ". Keep each photo's labels in one folder only (remove one "
                           "XML, or the copy of the photo)")
    rows.sort(key=lambda r: (r.image, -1 if r.object is None else r.object))
    return rows, problems


def read_label_folder(root: Path, settings: IndexSettings, threads: int = 1,
                      probe: Callable[[Path, bool], PhotoInfo] = probe_photo,
                      photos: Path | None = None) -> tuple[list[LabelledObject], list[Problem]]:
    """Index a labels folder: rows for tags and background photos, plus problems.

    ``photos``: where the photos lie when not beside the XML (a ``{xml, photos}`` entry of ``labels.dir``), each
    XML's photo at the XML's place under it; only the photos an XML labels are read.
    Deterministic: rows and problems come out in path order whatever ``threads``.
    """
    scan = scan_folder(root)
    if photos is not None:
        if not scan.xml_files:
            raise SpatuleError(f"labels.dir {root}: no labelImg XML in it (nested folders searched, hidden ones "
                               f"skipped), for the photos of {photos}")
        shots = scan_folder(photos)
        scan = FolderScan(scan.xml_files, shots.photos, scan.problems + shots.problems)
    if not scan.xml_files and not scan.photos and not scan.problems:
        raise SpatuleError(f"labels.dir {root}: no photo and no labelImg XML in it (nested folders searched, hidden "
                           f"ones skipped; photos are {', '.join(IMAGE_EXTENSIONS)})")
    annotations, chosen, paired = pair_labels(root, scan)
    labelled_photos = set(chosen.values())
    unlabelled, left_out = photos_without_xml(scan, annotations, labelled_photos)
    unlabelled = unlabelled if photos is None else []  # of a pair, a photo no XML labels is no label
    to_probe = sorted(labelled_photos) + (unlabelled if settings.unlabelled_as_background else [])
    probed = probe_photos(photos or root, to_probe, probe, settings.verify_pixels, threads)
    rows, problems = _labelled_rows(chosen, annotations, probed, settings)
    background, found = _unlabelled_rows(unlabelled, probed, settings)
    rows.extend(background)
    rows.sort(key=lambda r: (r.image, -1 if r.object is None else r.object))
    return rows, [*scan.problems, *paired, *left_out, *problems, *found]


def _labelled_rows(chosen: Mapping[str, str], annotations: Mapping[str, VocAnnotation],
                   probed: Mapping[str, PhotoInfo | Problem],
                   settings: IndexSettings) -> tuple[list[LabelledObject], list[Problem]]:
    """The rows of every photo an XML labels (``chosen``: XML -> photo), in photo order."""
    rows: list[LabelledObject] = []
    problems: list[Problem] = []
    for xml_rel, photo in sorted(chosen.items(), key=lambda kv: kv[1]):
        info = probed[photo]
        if isinstance(info, Problem):
            problems.append(replace(info, detail=f"{info.detail}; its labels in {xml_rel} are not used"))
            continue
        found_rows, found = read_objects(xml_rel, photo, annotations[xml_rel], info, settings)
        rows.extend(found_rows)
        problems.extend(found)
    return rows, problems


def _unlabelled_rows(unlabelled: Sequence[str], probed: Mapping[str, PhotoInfo | Problem],
                     settings: IndexSettings) -> tuple[list[LabelledObject], list[Problem]]:
    """Background rows of the photos no XML labels (``labels.unlabelled_as_background``), or a note
    for each that it is not used."""
    rows: list[LabelledObject] = []
    problems: list[Problem] = []
    for photo in unlabelled:
        if not settings.unlabelled_as_background:
            problems.append(_problem(photo, None, "unlabelled_photo", Severity.INFO, Action.SKIPPED,
                                     "no XML labels this photo; not used (set labels.unlabelled_as_background: "
                                     "true to use unlabelled photos as tag-free backgrounds)"))
            continue
        info = probed[photo]
        if isinstance(info, Problem):
            problems.append(info)
            continue
        empty = VocAnnotation(None, None, None, None, None, ())
        found_rows, found = read_objects("", photo, empty, info, settings)
        rows.extend(found_rows)
        problems.extend(p for p in found if p.code != "size_missing")
    return rows, problems
