"""Checks of the workflow config that the JSON schema cannot express.

``schemas/config.schema.yaml`` checks each value on its own (type, range,
unknown keys). What is left is a value that is well-typed but cannot work: a
``labels.name_pattern`` that is no regular expression, held-out fractions that
leave nothing to train on, tiles asked for a split that gets no tag, an
overlap as large as the tile, a training preset whose levels do not fit its
input. :func:`config_problems` finds them when the workflow is parsed, so that
a dry run already says which key is wrong, instead of a stage failing later.

The schema is also the one place where defaults are written: Snakemake fills them in
when it validates the config, and :func:`default` gives them to the settings classes,
so code that is called without a Snakefile (tests, the command line) gets the same.

Only the standard library and PyYAML (Snakemake's own dependency) here: the Snakefile
imports this module.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Mapping

from spatule.presets import preset_of
from spatule.problems import SpatuleError

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.yaml"
"""The config schema: what each key may be, and its default."""


@functools.cache
def schema_defaults() -> dict[str, dict[str, Any]]:
    """Every default of the config schema, per section (``{"detect": {"batch_size": 8, ...}, ...}``)."""
    import yaml

    try:
        schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpatuleError(f"{SCHEMA}: the config schema cannot be read ({exc.strerror}); run spatule from "
                           "its repository, where schemas/ sits beside the spatule package") from None
    return {name: {key: spec["default"] for key, spec in (section.get("properties") or {}).items()
                   if isinstance(spec, dict) and "default" in spec}
            for name, section in schema["properties"].items()}


def default(section: str, key: str) -> Any:
    """The schema's default of ``section.key``."""
    return schema_defaults()[section][key]


NAME_GROUPS = frozenset({"class", "identity"})
"""Named groups ``labels.name_pattern`` may use."""


def compile_name_pattern(pattern: str) -> re.Pattern[str]:
    """``labels.name_pattern`` as a regex; a clear error for one that does not compile or has unknown groups.

    A misspelt group (``(?P<identiy>...)``) would silently lose every identity,
    so only ``class`` and ``identity`` are accepted as group names.
    """
    try:
        compiled = re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise SpatuleError(f"labels.name_pattern {pattern!r} is not a valid regular expression ({exc})") from None
    unknown = sorted(set(compiled.groupindex) - NAME_GROUPS)
    if unknown:
        raise SpatuleError(f"labels.name_pattern {pattern!r} has named group(s) {', '.join(unknown)}; "
                           "only 'class' and 'identity' are understood")
    return compiled


def _section(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = config.get(key)
    return value if isinstance(value, Mapping) else {}


def label_problems(labels: Mapping[str, Any]) -> list[str]:
    """``labels.*``: the name pattern compiles."""
    if "name_pattern" not in labels:
        return []
    try:
        compile_name_pattern(labels["name_pattern"])
    except SpatuleError as exc:
        return [str(exc)]
    return []


def split_problems(split: Mapping[str, Any], synth: Mapping[str, Any]) -> list[str]:
    """``split.*`` fractions leave something to train on; a split given tiles gets tags."""
    problems = []
    val, test = float(split.get("val_fraction", 0)), float(split.get("test_fraction", 0))
    if val + test >= 1:
        problems.append(f"split.val_fraction + split.test_fraction = {val + test:g} leaves nothing to train on; "
                        "keep the sum below 1")
    tiles = synth.get("tiles") if isinstance(synth.get("tiles"), Mapping) else {}
    for name, fraction in (("val", val), ("test", test)):
        if fraction == 0 and int(tiles.get(name, 0) or 0) > 0:
            problems.append(f"synth.tiles.{name} is {tiles[name]} but split.{name}_fraction is 0, so no tag is held "
                            f"out for {name}: set synth.tiles.{name}: 0 or a positive split.{name}_fraction")
    return problems


def synth_problems(synth: Mapping[str, Any]) -> list[str]:
    """``synth.*`` values that are in range one by one but not together."""
    problems = []
    jitter = _section(synth, "jitter")
    scale = jitter.get("scale")
    if isinstance(scale, (list, tuple)) and len(scale) == 2 and float(scale[0]) > float(scale[1]):
        problems.append(f"synth.jitter.scale {list(scale)} must be [min, max] with min <= max")
    weights = synth.get("tags_per_tile")
    if isinstance(weights, (list, tuple)) and weights and sum(float(w) for w in weights) <= 0:
        problems.append("synth.tags_per_tile: the weights of 0, 1, 2, ... tags per tile are all 0")
    mix = _section(synth, "blend_mix")
    if synth.get("blend") == "mix" and mix and sum(float(v) for v in mix.values()) <= 0:
        problems.append("synth.blend_mix: synth.blend is 'mix' but every blend weight is 0")
    return problems


PROVISIONAL_THRESHOLD = 0.3
"""The score kept where no threshold has been chosen yet: mining hard negatives with the first model, and a
model whose real val photos give no threshold to choose (``detect.score_threshold`` null is otherwise chosen
on val)."""


def detect_problems(config: Mapping[str, Any]) -> list[str]:
    """``detect.overlap`` below the tile; ``evaluate.min_score`` not above a fixed ``detect.score_threshold``, nor
    above :data:`PROVISIONAL_THRESHOLD` when the threshold is to be chosen on val."""
    problems = []
    detect, evaluate, synth = _section(config, "detect"), _section(config, "evaluate"), _section(config, "synth")
    if detect.get("overlap") is not None and "tile_size" in synth and int(detect["overlap"]) >= int(synth["tile_size"]):
        problems.append(f"detect.overlap {detect['overlap']} px must be below synth.tile_size {synth['tile_size']} px")
    fixed = detect.get("score_threshold")
    if "min_score" in evaluate and fixed is not None and float(evaluate["min_score"]) > float(fixed):
        problems.append(f"evaluate.min_score {evaluate['min_score']} must not exceed detect.score_threshold "
                        f"{fixed} (detections below min_score are not kept, so the figures at the threshold "
                        "would miss them)")
    elif "min_score" in evaluate and fixed is None and float(evaluate["min_score"]) > PROVISIONAL_THRESHOLD:
        problems.append(f"evaluate.min_score {evaluate['min_score']} must not exceed {PROVISIONAL_THRESHOLD:g}, the "
                        "score threshold used where the val photos cannot choose one (detect.score_threshold null); "
                        "lower it, or set detect.score_threshold")
    return problems


def train_problems(train: Mapping[str, Any]) -> list[str]:
    """``train.*``: the preset with its overrides passes :func:`spatule.presets.resolve_preset`."""
    try:
        preset_of(train)
    except SpatuleError as exc:
        return [str(exc)]
    return []


def read_problems(read: Mapping[str, Any]) -> list[str]:
    """``read``: an alphabet that names a glyph twice cannot be taught (each glyph is one class)."""
    alphabet = str(read.get("alphabet", ""))
    twice = sorted({c for c in alphabet if alphabet.count(c) > 1})
    return [f"read.alphabet: {alphabet!r} names {twice} twice; each glyph once, in the sheet's order"] if twice else []


def config_problems(config: Mapping[str, Any]) -> list[str]:
    """Every problem of a (schema-valid) workflow config, each naming its key."""
    return [*label_problems(_section(config, "labels")),
            *split_problems(_section(config, "split"), _section(config, "synth")),
            *synth_problems(_section(config, "synth")),
            *detect_problems(config),
            *train_problems(_section(config, "train")),
            *read_problems(_section(config, "read"))]
