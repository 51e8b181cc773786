"""README step 7 on the real sample: the workflow reads real tags with the real tag-font sheet.

Rules index_labels, extract_tags, split, train_reader (the real sheet), read_threshold (the val split's
tag) and evaluate_reading run through Snakemake with the README's ``read:`` line, the glyph sheet and
registry paths put in; the detector is not trained (reading needs only the labelled crops)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
import yaml
from conftest import REPO, shared_input, snakemake

from spatule.tables import read_csv

FONT_SHEET = REPO.parent / "shared" / "data" / "spoo-font" / "SPOO-FONT.jpg"


def readme_read_line() -> dict:
    """The ``read:`` snippet of the README's step 7, as YAML."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    step = text[text.index("7. **Read the codes**"): text.index("8. **")]
    snippet = re.search(r"```yaml\n(.*?)```", step, re.S).group(1)
    return yaml.safe_load(snippet)


@pytest.mark.sample
@pytest.mark.workflow
def test_readme_step_7_reads_the_real_tags_it_never_learnt_from_and_no_wrong_bird(sample_dir: Path, tmp_path: Path,
                                                                                  record_property):
    from spatule.demo.registry import registry_rows

    shared_input(FONT_SHEET)
    read = readme_read_line()["read"]
    assert set(read) == {"glyph_sheet", "registry"}
    registry = tmp_path / "banded.csv"  # 100 banded birds, the sample's two legible ones among them
    registry.write_text("code,banded\n" + "".join(f"{c},{y}\n" for c, y in registry_rows(["AXFD", "ABLF"], 100, 16)),
                        encoding="utf-8")
    read.update(glyph_sheet=str(FONT_SHEET), registry=str(registry))
    example = yaml.safe_load((REPO / "examples" / "spatule-sample.yaml").read_text(encoding="utf-8"))
    example["labels"].update(dir=str(sample_dir), identities=str(sample_dir / "identities.csv"))
    config = tmp_path / "mine.yaml"
    config.write_text(yaml.safe_dump({**example, "read": read}), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    snakemake(work, "--cores", "2", "results/eval/reading/metrics.json", configfile=config, timeout=1500)

    readings = read_csv(work / "results/eval/reading/readings.csv")
    said = [f"{r['identity']} ({r['split']}{', trained on' if r['trained_on'] == '1' else ''}): read as "
            f"{r['code']!r}, taken as {r['registry_match']} (likeliest {r['likeliest']} {r['match_score']}, "
            f"runner-up {r['runner_up']} {r['runner_up_score']})" for r in readings]
    for line in said:
        record_property("reading", line)  # in the JUnit XML
        warnings.warn(line, stacklevel=1)  # in pytest's summary
    legible = [r for r in readings if r["difficult"] != "1"]
    assert {r["identity"] for r in legible} == {"AXFD", "ABLF"}
    unseen = [r for r in legible if r["trained_on"] != "1"]
    for r in legible:
        assert r["registry_match"] in (r["identity"], "unread"), f"a real tag read as a wrong bird: {said}"
    assert unseen, f"the sample's split gave the reader every legible tag to learn from: {said}"
    chosen = json.loads((work / "results/reader/threshold.json").read_text(encoding="utf-8"))
    why = {k: chosen[k] for k in ("threshold", "margin", "source", "rendered")}
    for r in unseen:  # every legible tag it never learnt from is read as its own bird
        assert r["registry_match"] == r["identity"], f"a legible real tag it never saw is not read: {said}, {why}"
    for picture in ("rendered.jpg", "real_vs_rendered.jpg"):
        assert (work / "results/reader" / picture).stat().st_size > 10_000
