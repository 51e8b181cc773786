"""The conda environments carry the same pins as requirements.txt (and, for a package they need that
nothing imports directly, the lock's pin in constraints.txt)."""

import re

import pytest
import yaml

from conftest import REPO


def requirement_pins(name: str = "requirements.txt") -> dict[str, str]:
    pins = {}
    for line in (REPO / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


@pytest.mark.parametrize("env", sorted(p.name for p in (REPO / "envs").glob("*.yaml")))
def test_env_pins_equal_requirements(env: str):
    spec = yaml.safe_load((REPO / "envs" / env).read_text())
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d)
    pins, locked = requirement_pins(), requirement_pins("constraints.txt")
    assert pip, env
    for entry in pip:
        name, version = entry.split("==")
        key = name.lower().replace("_", "-")
        assert pins.get(key, locked.get(key)) == version, f"{env}: {entry} vs requirements.txt / constraints.txt"


def test_every_rule_names_an_existing_env():
    for smk in sorted((REPO / "rules").glob("*.smk")):
        text = smk.read_text()
        for kind, rule in re.findall(r"^(rule|checkpoint) (\w+):", text, flags=re.M):
            block = re.split(r"\n(?:rule|checkpoint) ", text.split(f"{kind} {rule}:", 1)[1], maxsplit=1)[0]
            assert "conda:" in block, f"{smk.name}: {kind} {rule} has no conda env"
    common = (REPO / "rules" / "common.smk").read_text()
    for env in re.findall(r'"\.\./(envs/[\w.]+)"', common):
        assert (REPO / env).is_file(), env
