"""spatule.provenance: what a run was made from (the workflow-level check is in test_workflow)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
from pathlib import Path

import yaml

from conftest import REPO
from spatule.provenance import dumps, input_checksums, package_versions, provenance_record, seeds, source_digest
from tests.helpers import labelled_photo, write_photo


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_inputs_are_the_files_the_index_reads_and_the_rest_is_listed(tmp_path: Path):
    root = tmp_path / "labels"
    labelled_photo(root, "a.jpg", 40, 30, [(1, 2, 20, 20)])
    labelled_photo(root / "day 2", "b.png", 40, 30, [])
    labelled_photo(root / ".thumbnails", "t.jpg", 10, 10, [])               # hidden: not read
    (root / "notes.txt").write_text("not an input")
    write_photo(tmp_path / "outside" / "secret.jpg", 40, 30)
    (root / "evil.jpg").symlink_to(tmp_path / "outside" / "secret.jpg")      # leaves the folder: not read
    with open(os.path.join(os.fsencode(root), b"caf\xe9.jpg"), "wb") as handle:  # not UTF-8: not read
        handle.write(b"x")
    found = input_checksums(root, threads=2)
    assert found["files"] == {rel: sha(root / rel) for rel in ("a.jpg", "a.xml", "day 2/b.png", "day 2/b.xml")}
    assert found["not_read"] == [{"file": "caf\ufffd.jpg", "code": "bad_file_name"},
                                 {"file": "evil.jpg", "code": "link_outside"}]


def test_versions_are_the_installed_ones():
    versions = package_versions(snakemake_version="9.99")
    assert versions["snakemake"] == "9.99"
    for name in ("numpy", "lxml", "pycocotools", "tensorflow", "tf-models-official"):
        assert versions[name] == importlib.metadata.version(name)
    assert versions["opencv-python-headless"] == importlib.metadata.version("opencv-python-headless")
    assert versions["python"].count(".") == 2
    assert package_versions(["no-such-distribution-spatule"])["no-such-distribution-spatule"] is None


def test_seeds_include_the_training_presets_own():
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    assert seeds(config) == {"demo.seed": 2018, "split.seed": 7, "synth.seed": 11, "train.seed": 0, "read.seed": 0}
    config["train"]["seed"] = 5
    assert seeds(config)["train.seed"] == 5


def test_the_record_is_deterministic_and_follows_the_inputs(tmp_path: Path):
    root = tmp_path / "labels"
    labelled_photo(root, "a.jpg", 40, 30, [(1, 2, 20, 20)])
    identities = tmp_path / "identities.csv"
    identities.write_text("image,xmin,ymin,xmax,ymax,identity\na.jpg,1,2,20,20,AXFD\n")
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    first = dumps(provenance_record(config, root, identities, REPO, "9.27.1"))
    assert first == dumps(provenance_record(config, root, identities, REPO, "9.27.1", threads=2))
    record = json.loads(first)
    assert record["config"] == config and record["inputs"]["identities"]["sha256"] == sha(identities)
    assert not {"time", "date", "cores", "host"} & (set(record) | set(record["inputs"]) | set(record["workflow"]))
    write_photo(root / "a.jpg", 40, 30, color=(1, 2, 3))
    changed = json.loads(dumps(provenance_record(config, root, identities, REPO, "9.27.1")))
    assert changed["inputs"]["files"]["a.jpg"] != record["inputs"]["files"]["a.jpg"]
    assert changed["inputs"]["files"]["a.xml"] == record["inputs"]["files"]["a.xml"]


def test_source_digest_changes_with_any_workflow_file(tmp_path: Path):
    copy = tmp_path / "repo"
    copy.mkdir()
    for part in ("Snakefile", "rules", "scripts", "spatule", "schemas", "envs"):
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, copy / part)
    before = source_digest(copy)
    assert before == source_digest(REPO) and before["files"] > 30
    with (copy / "rules" / "split.smk").open("a") as handle:
        handle.write("\n# a comment\n")
    assert source_digest(copy)["source_sha256"] != before["source_sha256"]
