"""The hostile-input corpus (tests/corpus.py) through the real workflow: index_labels, extract_tags, split,
synthesis, COCO and provenance.

For every case: exactly the problem rows it must cause, each naming its file; its usable tags cut from the right
pixels; every one of its files either used or named in problems.csv (nothing dropped without a word). For the
whole run: no traceback in any log, nothing opened outside labels.dir (an audit hook records every file Python
opens in every job), the secret outside never copied into an output. Whole-set cases run on their own.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from conftest import snakemake
from spatule.problems import NOT_DOUBTFUL
from tests.corpus import CASES, CORPUS_CONFIG, RUNS, SECRET, TAG_LEVEL, Case, Run, write_corpus

pytestmark = pytest.mark.workflow
SPLITS = ("train", "val", "test")
TARGETS = [f"results/tiles/{split}.json" for split in SPLITS]

AUDIT_HOOK = '''
import os, sys

def _install():
    watch = [w for w in os.environ.get("SPATULE_AUDIT_WATCH", "").split(os.pathsep) if w]
    target = os.environ.get("SPATULE_AUDIT_LOG")
    if not watch or not target:
        return
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)  # opened before the hook exists

    def hook(event, args):
        if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        path = os.path.realpath(os.fsdecode(args[0]))  # through symbolic links: where the bytes really are
        if any(path == w or path.startswith(w + os.sep) for w in watch):
            os.write(fd, os.fsencode(path) + b"\\n")

    sys.addaudithook(hook)

_install()
'''
"""sitecustomize.py for the workflow's processes: every file Python opens under the watched folders is logged
(PIL, NumPy's fromfile and pathlib all open through Python)."""


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def shown(rel: bytes) -> str:
    """A relative path as problems.csv shows it (bytes that are not UTF-8 become U+FFFD)."""
    return rel.decode("utf-8", "replace")


def case_entries(labels: Path, case: Case) -> list[str]:
    """Every entry of a case's folder, as a path relative to labels.dir."""
    folder = os.path.join(os.fsencode(labels), os.fsencode(case.name))
    return sorted(shown(os.fsencode(case.name) + b"/" + name) for name in os.listdir(folder))


def all_logs(workdir: Path) -> dict[str, str]:
    return {p.relative_to(workdir).as_posix(): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted((workdir / "logs").rglob("*.log"))}


class CorpusRun:
    """The shared corpus after one workflow run with ``labels.on_problem: skip``."""

    def __init__(self, root: Path, labels: Path, outside: Path, workdir: Path, stderr: str, audit: Path) -> None:
        self.root, self.labels, self.outside, self.workdir, self.stderr, self.audit = (
            root, labels, outside, workdir, stderr, audit)
        results = workdir / "results"
        self.problems = read_csv(results / "labels/problems.csv")
        self.objects = read_csv(results / "labels/objects.csv")
        self.tags = read_csv(results / "tags/tags.csv")
        self.crops = results / "tags/crops"


def corpus_config(root: Path, labels: Path, **labels_keys: object) -> Path:
    config = root / f"corpus-{len(labels_keys)}.yaml"
    config.write_text(yaml.safe_dump({**CORPUS_CONFIG, "labels": {"dir": str(labels), "identities": "",
                                                                   **labels_keys}}))
    return config


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusRun:
    root = tmp_path_factory.mktemp("corpus")
    labels, outside = root / "labels", root / "outside"
    write_corpus(labels, outside)
    hook = root / "audit"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(AUDIT_HOOK)
    audit = root / "opened.txt"
    audit.touch()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])))
        patch.setenv("SPATULE_AUDIT_WATCH", os.pathsep.join([str(labels.resolve()), str(outside.resolve())]))
        patch.setenv("SPATULE_AUDIT_LOG", str(audit))
        result = snakemake(root / "w", "--cores", "2", *TARGETS, "results/provenance.json",
                           configfile=corpus_config(root, labels))
    return CorpusRun(root, labels, outside, root / "w", result.stdout + result.stderr, audit)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_is_recorded_exactly_and_its_usable_tags_are_cut_from_the_right_pixels(corpus: CorpusRun, case: Case):
    prefix = f"{case.name}/"
    rows = [p for p in corpus.problems if p["file"].startswith(prefix)]
    assert sorted((p["file"].removeprefix(prefix), p["code"]) for p in rows) == list(case.problems)
    assert all(p["detail"].strip() and p["severity"] in ("error", "warning", "info") for p in rows)
    tags = [o for o in corpus.objects if o["image"].startswith(prefix) and o["kind"] == "tag"]
    assert len(tags) == case.tags
    assert sum(1 for o in corpus.objects if o["image"].startswith(prefix) and o["kind"] == "background") == \
        case.backgrounds
    crops = [t for t in corpus.tags if t["image"].startswith(prefix)]
    assert len(crops) == case.tags
    for crop in crops:
        pixels = cv2.imread(str(corpus.crops / crop["file"]), cv2.IMREAD_COLOR)
        x0, y0, x1, y1 = (int(crop[k]) for k in ("box_x0", "box_y0", "box_x1", "box_y1"))
        inside = pixels[y0:y1, x0:x1].astype(float)
        ring = np.ones(pixels.shape[:2], bool)
        ring[y0:y1, x0:x1] = False
        assert inside.mean() > TAG_LEVEL - 50, (crop["file"], inside.mean())  # the bright band: the right frame
        assert pixels[ring].mean() < 140, crop["file"]                      # grey noise around it
        spread = inside.reshape(-1, 3).mean(axis=0)
        assert spread.max() - spread.min() < 25, crop["file"]               # grey, not tinted (CMYK, 16-bit)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_file_of_a_case_is_used_or_named_in_problems(corpus: CorpusRun, case: Case):
    named = {p["file"] for p in corpus.problems} | {o["image"] for o in corpus.objects} | \
        {o["xml"] for o in corpus.objects}
    details = " ".join(p["detail"] for p in corpus.problems if p["file"].startswith(f"{case.name}/"))
    # an XML whose photo is unreadable is named in that photo's row: "...; its labels in x.xml are not used"
    assert [e for e in case_entries(corpus.labels, case) if e not in named and e not in details] == []


def test_the_base_set_is_untouched_by_its_hostile_neighbours(corpus: CorpusRun):
    assert not any(p["file"].startswith("base/") for p in corpus.problems)
    base = [o for o in corpus.objects if o["image"].startswith("base/")]
    assert sorted((o["kind"], o["identity"]) for o in base) == [
        ("background", ""), ("background", ""), ("background", ""), ("tag", "AXFD"), ("tag", "BC12"), ("tag", "CD35")]


def test_nothing_outside_labels_dir_is_opened_or_copied(corpus: CorpusRun):
    opened = corpus.audit.read_text(encoding="utf-8", errors="replace").split()
    outside = str(corpus.outside.resolve())
    assert [p for p in opened if p.startswith(outside)] == []
    labels = str(corpus.labels.resolve())
    assert any(p.endswith("base/bird-0.jpg") for p in opened)  # the hook sees the photos that are read
    assert all(p.startswith(labels) for p in opened)
    for row in corpus.objects:
        assert (corpus.labels / row["image"]).resolve().is_relative_to(corpus.labels.resolve()), row["image"]
    secret = SECRET.encode()
    leaked = [p for p in corpus.workdir.rglob("*") if p.is_file() and secret in p.read_bytes()]
    assert leaked == []


def test_no_traceback_anywhere(corpus: CorpusRun):
    assert "Traceback" not in corpus.stderr
    for name, text in all_logs(corpus.workdir).items():
        assert "Traceback" not in text, name


def test_tiles_use_only_whole_clean_ground_and_labels_inside_the_tile(corpus: CorpusRun):
    from pycocotools.coco import COCO

    small = {p["file"] for p in corpus.problems if p["code"] == "photo_smaller_than_tile"}
    doubtful_xml = {p["file"] for p in corpus.problems
                    if p["object"] and p["action"] == "skipped" and p["code"] not in NOT_DOUBTFUL}
    doubtful = {o["image"] for o in corpus.objects if o["xml"] in doubtful_xml}
    tag_ids = {t["tag_id"] for t in corpus.tags}
    assert small and doubtful
    for split in SPLITS:
        records = read_csv(corpus.workdir / f"results/tiles/{split}.csv")
        assert len({r["tile"] for r in records}) == CORPUS_CONFIG["synth"]["tiles"][split]
        assert not {r["background"] for r in records} & (small | doubtful)
        assert {r["tag_id"] for r in records if r["tag_id"]} <= tag_ids
        coco = COCO(str(corpus.workdir / f"results/tiles/{split}.json"))
        for annotation in coco.loadAnns(coco.getAnnIds()):
            x, y, w, h = annotation["bbox"]
            assert 0 <= x < x + w <= 640 and 0 <= y < y + h <= 640


def test_provenance_hashes_what_is_read_and_lists_what_is_not(corpus: CorpusRun):
    record = json.loads((corpus.workdir / "results/provenance.json").read_text(encoding="utf-8"))
    files = record["inputs"]["files"]
    for rel in ("base/bird-0.jpg", "base/ground-2.xml", "cmyk/cmyk.jpg", "xxe/xxe.xml"):
        assert files[rel] == hashlib.sha256((corpus.labels / rel).read_bytes()).hexdigest()
    assert not any(".." in rel or rel.startswith("/") for rel in files)
    assert "links/evil.jpg" not in files and "links/secret.xml" not in files
    not_read = {(item["file"], item["code"]) for item in record["inputs"]["not_read"]}
    assert not_read == {(p["file"], p["code"]) for p in corpus.problems
                        if p["code"] in ("bad_file_name", "link_outside")}


def test_on_problem_error_fails_naming_every_defect_without_a_traceback(corpus: CorpusRun):
    workdir = corpus.root / "strict"
    result = snakemake(workdir, "--cores", "1", "results/labels/objects.csv", check=False,
                       configfile=corpus_config(corpus.root, corpus.labels, on_problem="error"))
    assert result.returncode != 0
    log = (workdir / "logs/index_labels.log").read_text(encoding="utf-8")
    defects = [p for p in corpus.problems if p["severity"] == "error"]
    assert f"{len(defects)} defect(s)" in log
    for problem in defects:
        where = problem["file"] if not problem["object"] else f"{problem['file']} [object {problem['object']}]"
        assert f"{where}: {problem['detail']}" in log
    assert "Traceback" not in log + result.stderr
    assert "Error in rule index_labels" in result.stdout + result.stderr


# --- whole-set runs --------------------------------------------------------------------------------


def merged(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.mark.parametrize("run", RUNS, ids=lambda r: r.name)
def test_whole_set_case(tmp_path: Path, run: Run):
    labels = tmp_path / "labels"
    run.write(labels)
    config = tmp_path / "config.yaml"
    identities = str(labels / run.identities) if run.identities else ""
    config.write_text(yaml.safe_dump(merged(merged(CORPUS_CONFIG, {"labels": {"dir": str(labels),
                                                                              "identities": identities}}), run.config)))
    workdir = tmp_path / "w"
    result = snakemake(workdir, "--cores", "2", *TARGETS, configfile=config, check=run.failing_rule is None)
    logs = all_logs(workdir)
    assert "Traceback" not in result.stderr and not [n for n, t in logs.items() if "Traceback" in t]
    if run.failing_rule is not None:
        assert result.returncode != 0
        assert f"Error in rule {run.failing_rule}:" in result.stdout + result.stderr
        failed = "\n".join(t for n, t in logs.items() if Path(n).name.startswith(run.failing_rule)
                           or Path(n).parent.name == run.failing_rule)
        for words in run.log_says:
            assert words in failed, (words, failed[-2000:])
    CHECKS.get(run.name, lambda *_: None)(workdir, logs)


def _big_tag_checks(workdir: Path, logs: dict[str, str]) -> None:
    records = read_csv(workdir / "results/tiles/train.csv")
    big = [r for r in records if r["identity"] == "BIG1"]
    assert big, "the close-up tag was never pasted"
    for r in big:
        x0, y0, x1, y1 = (int(r[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
        assert 0 < float(r["scale"]) < 0.8 and 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 640
        assert x1 - x0 > 600  # shrunk just to fit
        tile = cv2.imread(str(workdir / "results/tiles" / r["file"]))
        assert tile[y0 + 8:y1 - 8, x0 + 8:x1 - 8].mean() > 150, r["tile"]  # the band is where the label says
    assert any(r["identity"] == "NRM1" and float(r["scale"]) == 1 for r in records)
    assert "larger than a 640 px tile: pasted shrunk to fit" in logs["logs/synthesize/train-0.log"]


def _small_photo_checks(workdir: Path, logs: dict[str, str]) -> None:
    problems = read_csv(workdir / "results/labels/problems.csv")
    assert sorted((p["file"], p["action"]) for p in problems if p["code"] == "photo_smaller_than_tile") == [
        (f"bird-{i}.jpg", "used") for i in range(3)] + [(f"ground-{i}.jpg", "skipped") for i in range(3)]
    assert read_csv(workdir / "results/split/backgrounds.csv") == []


CHECKS = {"tag-larger-than-tile": _big_tag_checks, "photos-smaller-than-tile": _small_photo_checks}


def test_the_corpus_readme_is_the_generated_one():
    from tests.corpus import readme

    assert (Path(__file__).parent / "corpus.md").read_text(encoding="utf-8") == readme(), \
        "tests/corpus.md is stale: python tests/corpus.py --readme > tests/corpus.md"
