"""spatule.config: the config checks the JSON schema cannot express (the dry-run table is in test_workflow)."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import REPO
from spatule.config import compile_name_pattern, config_problems
from spatule.presets import train_overrides
from spatule.problems import SpatuleError


@pytest.fixture(scope="module")
def demo_config() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


def with_values(config: dict, **dotted: object) -> dict:
    out = copy.deepcopy(config)
    for key, value in dotted.items():
        *path, last = key.split("__")
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def test_the_demo_config_and_every_preset_are_fine(demo_config: dict):
    assert config_problems(demo_config) == []
    for preset in ("smoke", "demo", "gpu"):
        assert config_problems(with_values(demo_config, train__preset=preset)) == []


@pytest.mark.parametrize("values, key", [
    ({"labels__name_pattern": "(unclosed"}, "labels.name_pattern"),
    ({"labels__name_pattern": "(?P<klass>.+)"}, "labels.name_pattern"),
    ({"split__val_fraction": 0.5, "split__test_fraction": 0.5}, "split.val_fraction + split.test_fraction"),
    ({"split__test_fraction": 0}, "synth.tiles.test"),
    ({"synth__jitter__scale": [1.2, 0.8]}, "synth.jitter.scale"),
    ({"synth__tags_per_tile": [0, 0]}, "synth.tags_per_tile"),
    ({"synth__blend_mix": {"normal": 0, "mixed": 0, "alpha": 0, "feather": 0}}, "synth.blend_mix"),
    ({"detect__overlap": 640}, "detect.overlap"),
    ({"detect__score_threshold": 0.3, "evaluate__min_score": 0.5}, "evaluate.min_score"),
    ({"detect__score_threshold": None, "evaluate__min_score": 0.4}, "evaluate.min_score 0.4 must not exceed 0.3"),
    ({"train__min_level": 6, "train__max_level": 5}, "min_level"),
    ({"train__input_size": 320}, "input_size"),
    ({"train__stepz": 3}, "stepz"),
    ({"read__alphabet": "ABCA"}, "read.alphabet"),
])
def test_a_value_that_cannot_work_is_named(demo_config: dict, values: dict, key: str):
    problems = config_problems(with_values(demo_config, **values))
    assert len(problems) == 1 and key in problems[0], problems


def test_no_hold_out_is_fine_when_no_tiles_are_asked_for_it(demo_config: dict):
    config = with_values(demo_config, split__val_fraction=0, split__test_fraction=0, synth__tiles={
        "train": 10, "val": 0, "test": 0})
    assert config_problems(config) == []


def test_name_pattern_groups_and_train_overrides():
    assert compile_name_pattern(r"(?P<identity>[A-Z0-9]{4})").groupindex == {"identity": 1}
    with pytest.raises(SpatuleError, match="only 'class' and 'identity'"):
        compile_name_pattern(r"(?P<code>\w+)")
    # gpus is what the job asks the scheduler for, never an experiment setting
    assert train_overrides({"preset": "smoke", "threads": 2, "gpus": 1, "steps": 8, "batch_size": None,
                            "mem_mb": 1}) == {"steps": 8}
