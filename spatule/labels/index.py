"""The labels folder read: every photo + labelImg XML under a folder -> tag and background rows.

XML whose photo is gone, photos without XML, ``<path>`` from another machine, names with spaces and
parentheses: walking the folder and pairing each XML with its photo is :mod:`spatule.labels.folder`;
:mod:`spatule.labels.objects` reads the objects.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

from spatule.labels.photos import IMAGE_EXTENSIONS, PhotoInfo, probe_photo
from spatule.labels.folder import pair_labels, photos_without_xml, probe_photos, scan_folder
from spatule.problems import Action, Problem, Severity, SpatuleError
from spatule.labels.objects import IndexSettings, LabelledObject, _problem, read_objects
from spatule.labels.voc import VocAnnotation


def read_label_folder(root: Path, settings: IndexSettings, threads: int = 1,
                 probe: Callable[[Path, bool], PhotoInfo] = probe_photo) -> tuple[list[LabelledObject], list[Problem]]:
    """Index a labels folder: rows for tags and background photos, plus problems.

    Deterministic: rows and problems come out in path order whatever ``threads``.
    """
    scan = scan_folder(root)
    if not scan.xml_files and not scan.photos and not scan.problems:
        raise SpatuleError(f"labels.dir {root}: no photo and no labelImg XML in it (nested folders searched, hidden "
                           f"ones skipped; photos are {', '.join(IMAGE_EXTENSIONS)})")
    annotations, chosen, paired = pair_labels(root, scan)
    labelled_photos = set(chosen.values())
    unlabelled, left_out = photos_without_xml(scan, annotations, labelled_photos)
    to_probe = sorted(labelled_photos) + (unlabelled if settings.unlabelled_as_background else [])
    probed = probe_photos(root, to_probe, probe, settings.verify_pixels, threads)
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
