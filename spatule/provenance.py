"""provenance: what a run was made from, in one deterministic JSON file.

``results/provenance.json`` records the resolved config (the embedded
``config.yaml`` merged with ``--configfile`` and the schema's defaults), the
seeds every random choice derives from, the versions of Python and of the
packages that shape the outputs, a digest of the workflow's own source, and
the sha256 of every input file: each photo and XML under ``labels.dir`` that
the index looks at (the same walk as :func:`spatule.labels.folder.scan_folder`: hidden
folders skipped, links leaving the folder and names that are not UTF-8 not
read, only listed), and the identities CSV.

Nothing in it depends on the time, the machine's paths outside the config, or
``--cores`` (the outputs do not depend on them either), so two runs of the same
workflow on the same inputs write the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Mapping, Sequence

PACKAGES = ("snakemake", "tensorflow", "tf-models-official", "tf-keras", "numpy", "lxml", "pycocotools",
            "pillow")
"""Distributions whose versions are recorded (OpenCV separately: it comes under several names)."""

OPENCV_DISTRIBUTIONS = ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless",
                        "opencv-contrib-python")

SOURCE_GLOBS = ("Snakefile", "rules/*.smk", "scripts/*.py", "spatule/**/*.py", "schemas/*.yaml", "envs/*.yaml")
"""The workflow's own files, digested together (``workflow.source_sha256``)."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def distribution_version(name: str) -> str | None:
    """Installed version of a distribution, or None."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def package_versions(packages: Sequence[str] = PACKAGES, snakemake_version: str | None = None) -> dict[str, str | None]:
    """``{"python": ..., "<distribution>": version or None}``; OpenCV under the name it is installed as
    (``opencv-python`` = None when it is not installed at all). ``snakemake_version`` is the version of the
    Snakemake that ran the workflow (a job's own environment may lack Snakemake)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        versions[name] = distribution_version(name)
    if snakemake_version:
        versions["snakemake"] = snakemake_version
    opencv = {name: distribution_version(name) for name in OPENCV_DISTRIBUTIONS}
    found = {name: version for name, version in opencv.items() if version}
    versions.update(found or {"opencv-python": None})
    return dict(sorted(versions.items()))


def source_digest(root: Path, globs: Sequence[str] = SOURCE_GLOBS) -> dict[str, Any]:
    """One sha256 over the workflow's source files (path and bytes, in path order), and how many there are."""
    files = sorted({p for pattern in globs for p in root.glob(pattern) if p.is_file()})
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(sha256_file(path).encode() + b"\n")
    return {"files": len(files), "source_sha256": digest.hexdigest()}


def input_checksums(labels_dir: Any, threads: int = 1) -> dict[str, Any]:
    """sha256 of every photo and XML the index looks at, by its name in the labels (its path relative to
    ``labels_dir``; ``labels.dir`` of several folders: :mod:`spatule.labels.dirs`; of an ``{xml, photos}`` pair, its
    XML and the photos named like one); files it does not read (a link leaving the folder, a name that is not
    UTF-8) are listed with the reason, unhashed."""
    from spatule.labels.dirs import LabelDirs
    from spatule.labels.folder import folder_stem, scan_folder

    files: dict[str, Path] = {}
    not_read: list[dict[str, str]] = []
    for entry in LabelDirs.of(labels_dir).entries:
        scan = scan_folder(entry.xml)
        photos, problems = scan.photos, scan.problems
        if entry.paired:
            shots, stems = scan_folder(entry.photos), {folder_stem(x) for x in scan.xml_files}
            photos, problems = tuple(p for p in shots.photos if folder_stem(p) in stems), problems + shots.problems
        files.update({entry.name(rel): entry.xml / rel for rel in scan.xml_files})
        files.update({entry.name(rel): entry.photos / rel for rel in photos})
        not_read += [{"file": entry.name(p.file), "code": p.code} for p in problems]
    names = sorted(files)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        hashes = list(pool.map(lambda name: sha256_file(files[name]), names))
    return {
        "files": dict(zip(names, hashes)),
        "not_read": sorted(not_read, key=lambda item: (item["file"], item["code"])),
    }


def seeds(config: Mapping[str, Any]) -> dict[str, int | None]:
    """Every seed of the run: the demo campaign, the split order, the tile plan, training, the code reader."""
    def get(section: str, key: str = "seed") -> int | None:
        value = (config.get(section) or {}).get(key)
        return int(value) if value is not None else None

    train = dict(config.get("train") or {})
    train_seed = train.get("seed")
    if train_seed is None:
        from spatule.presets import preset_of
        from spatule.problems import SpatuleError

        try:
            train_seed = preset_of(train).seed
        except SpatuleError:  # a bad train section fails the parse and the train job, with its message
            train_seed = None
    return {"demo.seed": get("demo"), "split.seed": get("split"), "synth.seed": get("synth"),
            "train.seed": int(train_seed) if train_seed is not None else None, "read.seed": get("read")}


def provenance_record(config: Mapping[str, Any], labels_dir: Any, identities: Path | None, workflow_dir: Path,
               snakemake_version: str | None = None, threads: int = 1) -> dict[str, Any]:
    """The provenance record of a run (see the module docstring)."""
    from spatule.labels.dirs import LabelDirs

    inputs = input_checksums(labels_dir, threads)
    inputs["labels_dir"] = LabelDirs.of(labels_dir).as_config()
    inputs["identities"] = ({"path": str(identities), "sha256": sha256_file(identities)}
                            if identities is not None else None)
    return {
        "config": _plain(config),
        "seeds": seeds(config),
        "versions": package_versions(snakemake_version=snakemake_version),
        "workflow": {"version": distribution_version("spatule") or _project_version(workflow_dir),
                     **source_digest(workflow_dir)},
        "inputs": inputs,
    }


def _project_version(workflow_dir: Path) -> str | None:
    """``version`` from the workflow's pyproject.toml when spatule is not installed as a distribution."""
    import tomllib

    path = workflow_dir / "pyproject.toml"
    if not path.is_file():
        return None
    return tomllib.loads(path.read_text(encoding="utf-8")).get("project", {}).get("version")


def _plain(value: Any) -> Any:
    """Config values as plain JSON types (Snakemake hands over its own mapping and list types)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def dumps(record: Mapping[str, Any]) -> str:
    """Deterministic JSON text: sorted keys, fixed indent, trailing newline."""
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_provenance(path: Path, record: Mapping[str, Any]) -> None:
    """Write the record as :func:`dumps` formats it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(record), encoding="utf-8")
