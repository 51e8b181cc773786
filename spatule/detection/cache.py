"""What detection found in each photo, kept per photo so that no photo is searched twice.

An entry is keyed by the photo's bytes (sha256: a renamed or moved photo is still found,
an edited one is searched again) under a folder keyed by the model and the search
settings that change the boxes (:func:`search_key`): a new model or a new overlap
searches every photo again. Entries are written one by one, atomically, as photos are
done: a job killed mid-way leaves whole entries only, and its rerun starts where it
stopped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping

from spatule.provenance import sha256_file

SEARCH_FIELDS = ("tile_size", "overlap", "score_threshold", "merge", "merge_threshold", "whole_photo", "info_bar_px")
"""The search settings that change what is found (not the batch size, which changes only the speed); ``mask``
(``camera.mask``) too, but only when it lists a rectangle (:func:`search_key`)."""

KEY_NAMES = {"tile_size": "tile", "info_bar_px": "skip_bottom"}
"""Names the cache key gives two settings: theirs before they took their config keys' names, so that caches
made then stay valid."""


def model_digest(saved_model: Path) -> str:
    """One sha256 over every file of an exported model folder (relative path and bytes), or a
    model file's sha256 (``model.tflite``)."""
    if saved_model.is_file():
        return sha256_file(saved_model)
    digest = hashlib.sha256()
    files = sorted(p for p in saved_model.rglob("*") if p.is_file())
    for path in files:
        digest.update(path.relative_to(saved_model).as_posix().encode() + b"\0" + sha256_file(path).encode())
    return digest.hexdigest()


def search_key(model: str, settings: Any, apply_orientation: bool) -> str:
    """The cache folder name: the model digest and the search settings, hashed together. The mask is in it only
    when set, so that without one the key is the one made before ``camera.mask`` existed (those caches stay
    valid) and a cache made without a mask is never read with one."""
    values = dataclasses.asdict(settings)
    chosen = {KEY_NAMES.get(k, k): values[k] for k in SEARCH_FIELDS} | {"model": model,
                                                                         "apply_orientation": bool(apply_orientation)}
    if values.get("mask"):
        chosen["mask"] = [list(rect) for rect in values["mask"]]
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:20]


def entry_path(root: Path, key: str, photo_sha: str) -> Path:
    """Where the entry of a photo lives: ``root/key/ab/abcdef....json``."""
    return root / key / photo_sha[:2] / f"{photo_sha}.json"


def read_entry(path: Path) -> dict[str, Any] | None:
    """The entry at ``path``, or None when there is none (or it cannot be read: it is then redone)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_entry(path: Path, entry: Mapping[str, Any]) -> None:
    """Write an entry atomically (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    part.write_text(json.dumps(entry, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(part, path)
