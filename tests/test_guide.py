"""The README's guide, run: every command in its ```bash blocks is checked, so none can go stale.

Each command runs in a fresh copy of the repository (no ``.venv``, no results), the way the README
gives it, with what it needs beside it: ``mine.yaml`` is written from the README's ```yaml blocks
above the command (their ``/data/...`` folders replaced by a small labelled set), and
``../shared/data/spatule-sample`` is the real sample when it is there, else such a set. How each
kind is checked (cheap, but failing on a real defect) is in ``CHECKS`` below and in
docs/development.md; a command of no known kind fails, so a new one cannot be skipped silently.

Also checked here: the two fresh-machine commands and ``.ci/run``, the README's quotes of error
messages, every config key named in README.md and docs/, the config table of
docs/configuration.md against config.yaml and the schema, and every relative link.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from conftest import REPO, SAMPLE
from helpers import labelled_photo, voc_xml, write_glyph_sheet, write_photo, write_xml

README = REPO / "README.md"
DOCS = REPO / "docs"
VENV_BIN = ".venv/bin/"
# what a fresh clone holds: everything but these (git-ignored, or made by runs)
NOT_COPIED = {".git", ".venv", ".snakemake", ".pytest_cache", ".ruff_cache", ".hypothesis", "results", "logs",
              "benchmarks", "resources", "report.html", "__pycache__"}
# snakemake options the guide may use, and how many values each takes ("+": one or more, as --configfile)
SNAKEMAKE_OPTIONS: dict[str, int | str] = {"--cores": 1, "--configfile": "+", "--profile": 1, "--unlock": 0,
                                           "--rerun-incomplete": 0}
# targets made by the first stages only (seconds): such commands run for real, the others as dry runs
FIRST_STAGES = ("results/labels/", "results/tags/", "results/split/")
# the error messages the troubleshooting quotes, and where the words come from
QUOTED = {"TensorFlow sees no GPU here": "gpu-check and the devices step (run here with the GPUs hidden)",
          "cannot be locked": "snakemake.exceptions", "seem to be incomplete": "snakemake.exceptions"}
DRY_TIMEOUT, RUN_TIMEOUT = 180, 600


# --- reading the README -------------------------------------------------------------------------

@dataclass
class Block:
    lang: str
    body: str
    line: int


def fenced_blocks(text: str) -> list[Block]:
    """Fenced code blocks, indented ones (inside a list) too, dedented, in order."""
    blocks, lines, index = [], text.splitlines(), 0
    while index < len(lines):
        opening = re.match(r"^( *)```(\w*)\s*$", lines[index])
        if not opening:
            index += 1
            continue
        indent, start, body = len(opening.group(1)), index + 1, []
        index += 1
        while index < len(lines) and not re.match(r"^ *```\s*$", lines[index]):
            body.append(lines[index][indent:] if lines[index][:indent].strip() == "" else lines[index])
            index += 1
        blocks.append(Block(opening.group(2), "\n".join(body) + "\n", start))
        index += 1
    return blocks


def guide_text() -> str:
    """The README's guide: everything before its reference links."""
    return README.read_text(encoding="utf-8").split("\n## Reference", 1)[0]


def deep_merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@dataclass
class Command:
    """One command of the guide (one part of a ``&&`` chain), with mine.yaml as the guide has it there."""

    argv: list[str]
    line: int
    mine: dict = field(default_factory=dict)
    yaml_lines: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return shlex.join(self.argv)


def guide_commands() -> list[Command]:
    """Every command of the guide's bash blocks, in order, each once; mine.yaml = the yaml blocks above it."""
    mine: dict = {}
    merged: list[int] = []
    commands: dict[str, Command] = {}
    for block in fenced_blocks(guide_text()):
        if block.lang == "yaml":
            mine = deep_merge(mine, yaml.safe_load(block.body) or {})
            merged.append(block.line)
        elif block.lang == "bash":
            for offset, line in enumerate(block.body.replace("\\\n", " ").splitlines()):
                words = shlex.split(line, comments=True)
                while words:
                    part = words[: words.index("&&")] if "&&" in words else words
                    words = words[len(part) + 1:]
                    command = Command(part, block.line + offset, copy.deepcopy(mine), tuple(merged))
                    commands.setdefault(command.text, command)
        elif block.lang not in ("", "text"):
            raise AssertionError(f"README line {block.line}: a ```{block.lang} block; test_guide.py reads "
                                 "```bash (run) and ```yaml (mine.yaml) blocks only")
    return list(commands.values())


COMMANDS = guide_commands()


# --- what a command runs beside -----------------------------------------------------------------

def copy_repository(root: Path) -> Path:
    """A fresh-clone-like copy of the repository at ``root/main``; ``root/shared`` is its neighbour."""
    main = root / "main"
    shutil.copytree(REPO, main, symlinks=True,
                    ignore=lambda folder, names: [n for n in names if n in NOT_COPIED or
                                                  (Path(folder) == REPO / "bench" and n == "out")])
    return main


def labelled_set(folder: Path, identities_csv: Path | None) -> None:
    """Four tagged birds on four photos and three tag-free photos (one per split), labelImg XML beside them."""
    rows = ["image,xmin,ymin,xmax,ymax,identity"]
    for k, code in enumerate(("AXFD", "ABLF", "BC7K", "H2PN")):
        box = (100 + 40 * k, 200, 140 + 40 * k, 290)
        labelled_photo(folder, f"IMAG{k:04d}.JPG", 800, 700, [box], color=(90, 140 - 10 * k, 60))
        rows.append(f"IMAG{k:04d}.JPG,{','.join(map(str, box))},{code}")
    for k in range(3):
        write_photo(folder / f"IMAG01{k:02d}.JPG", 800, 700, (70, 120, 50 + 20 * k))
        write_xml(folder / f"IMAG01{k:02d}.xml", voc_xml(f"IMAG01{k:02d}.JPG", 800, 700))
    if identities_csv is not None:
        identities_csv.parent.mkdir(parents=True, exist_ok=True)
        identities_csv.write_text("\n".join(rows) + "\n", encoding="utf-8")


def place_sample(root: Path) -> None:
    """``root/shared/data/spatule-sample``: the real sample (linked) when present, else a small labelled set."""
    target = root / "shared" / "data" / "spatule-sample"
    target.parent.mkdir(parents=True, exist_ok=True)
    if (SAMPLE / "identities.csv").is_file():
        target.symlink_to(SAMPLE, target_is_directory=True)
    else:
        labelled_set(target, target / "identities.csv")


def write_mine(main: Path, mine: dict, root: Path) -> None:
    """mine.yaml as the guide has it, its /data/... folders moved under ``root/data`` and filled."""
    if not mine:
        raise AssertionError("a command uses mine.yaml, but no ```yaml block comes before it in the README")
    config = copy.deepcopy(mine)

    def moved(path: str) -> Path:
        return root / path.lstrip("/")

    labels = config.get("labels", {})
    for section, key in (("labels", "dir"), ("labels", "identities"), ("detect", "images"), ("read", "glyph_sheet"),
                         ("read", "registry")):
        value = config.get(section, {}).get(key)
        if isinstance(value, str) and value.startswith("/data/"):
            config[section][key] = str(moved(value))
    def strings(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [s for v in node.values() for s in strings(v)]
        return [s for v in node for s in strings(v)] if isinstance(node, list) else [node]

    stray = [v for v in strings(config) if isinstance(v, str) and v.startswith("/data/")]
    assert not stray, f"mine.yaml names {stray}: test_guide.py does not know what to put there"
    identities = labels.get("identities")
    for folder in {config.get("labels", {}).get("dir"), config.get("detect", {}).get("images")} - {None}:
        if str(folder).startswith(str(root)):
            labelled_set(Path(folder), Path(identities) if identities and folder == labels.get("dir") else None)
    read = config.get("read", {})
    if str(read.get("glyph_sheet", "")).startswith(str(root)):  # the demo font's glyphs, as a scanned sheet
        from spatule.code_space import ALPHABET
        from spatule.demo import FONT_PATH
        from spatule.reading.glyphs import glyphs_from_font

        Path(read["glyph_sheet"]).parent.mkdir(parents=True, exist_ok=True)
        write_glyph_sheet(Path(read["glyph_sheet"]), glyphs_from_font(FONT_PATH, ALPHABET), ALPHABET)
    if str(read.get("registry", "")).startswith(str(root)):  # the labelled set's birds that can be on a tag
        Path(read["registry"]).parent.mkdir(parents=True, exist_ok=True)
        Path(read["registry"]).write_text("code,banded\nAXFD,2016\nABLF,2017\nH2PN,2017\n", encoding="utf-8")
    (main / "mine.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def run(argv: list[str], cwd: Path, timeout: int, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def tail(result: subprocess.CompletedProcess, chars: int = 5000) -> str:
    return f"(exit {result.returncode})\n{(result.stdout + result.stderr)[-chars:]}"


def venv(tool: str) -> list[str]:
    """The README's ``.venv/bin/TOOL`` as the interpreter running these tests runs it."""
    if tool == "spatule":
        return [str(spatule_command())]
    return {"python": [sys.executable], "snakemake": [sys.executable, "-m", "snakemake"]}[tool]


def spatule_command() -> Path:
    """The ``spatule`` console script of the environment running the tests (the README's install puts
    it there: ``-e .`` in requirements.txt)."""
    command = Path(sys.executable).parent / "spatule"
    assert command.is_file(), f"{command} is missing: install with the README's command (requirements.txt has -e .)"
    return command


# --- the checks, one per kind of command ------------------------------------------------------

def check_venv(command: Command, tmp_path: Path) -> None:
    """``python3 -m venv .venv``: python3 has venv and ensurepip, and is as recent as pyproject asks."""
    assert command.argv == ["python3", "-m", "venv", ".venv"], command.text
    python3 = shutil.which("python3")
    assert python3, "no python3 on PATH"
    result = run([python3, "-c", "import sys, venv, ensurepip; print(*sys.version_info[:3])"], tmp_path, 60)
    assert result.returncode == 0, tail(result)
    wanted = yaml.safe_load(re.search(r"^requires-python\s*=\s*(.+)$", (REPO / "pyproject.toml").read_text(),
                                      flags=re.M).group(1))
    assert ".".join(result.stdout.split()) in SpecifierSet(wanted), (result.stdout, wanted)


def requirements(path: Path, seen: tuple[Path, ...] = ()) -> list[Requirement]:
    """The requirements of a pip requirements file, ``-r`` lines followed; anything else it holds fails."""
    assert path.is_file(), f"{path.relative_to(REPO)} does not exist"
    assert path not in seen, f"{path.name} includes itself"
    found = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = re.split(r"(^|\s)#", raw, maxsplit=1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] in ("-r", "--requirement") and len(words) == 2:
            found += requirements(path.parent / words[1], (*seen, path))
        elif words == ["-e", "."]:  # the project itself, editable: its console script must be declared
            assert path.parent == REPO and "spatule" in tomllib.loads((REPO / "pyproject.toml").read_text(
                encoding="utf-8"))["project"]["scripts"], f"{path.name}:{number}: -e . installs no spatule command"
        else:
            assert not line.startswith("-"), f"{path.name}:{number}: option {line!r} not checked by test_guide.py"
            found.append(Requirement(line))
    return found


def pins(reqs: list[Requirement], where: str) -> dict[str, str]:
    out = {}
    for req in reqs:
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{where}: {req} is not pinned with =="
        out[canonicalize_name(req.name)] = specs[0].version
    return out


def check_pip(command: Command, tmp_path: Path) -> None:
    """``.venv/bin/pip install -r FILE -c FILE``: the files exist and parse, pins agree with the lock."""
    args = command.argv[1:]
    assert args[:1] == ["install"], command.text
    files: dict[str, list[Path]] = {"-r": [], "-c": []}
    rest = args[1:]
    while rest:
        option, value, rest = rest[0], rest[1] if len(rest) > 1 else None, rest[2:]
        assert option in files and value, f"pip option {option!r} in {command.text!r}: not checked by test_guide.py"
        files[option].append(REPO / value)
    assert files["-r"], command.text
    locked: dict[str, str] = {}
    for constraints in files["-c"]:
        locked.update(pins(requirements(constraints), constraints.name))
    for path in files["-r"]:
        pinned = pins(requirements(path), path.name)
        wrong = {n: (v, locked[n]) for n, v in pinned.items() if n in locked and locked[n] != v}
        assert not wrong, f"{path.name} pins differ from the constraints: {wrong}"
    if files["-c"]:
        # the constraints lock the whole tested environment: every direct requirement is in it
        base = pins(requirements(REPO / "requirements.txt"), "requirements.txt")
        assert not set(base) - set(locked), f"not in the constraints: {sorted(set(base) - set(locked))}"


def parse_snakemake(args: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Options and targets as Snakemake reads them (a multi-value option takes the words after it)."""
    options: dict[str, list[str]] = {}
    targets: list[str] = []
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if not word.startswith("-"):
            targets.append(word)
            continue
        name, has_value, inline = word.partition("=")
        arity = SNAKEMAKE_OPTIONS.get(name)
        assert arity is not None, f"snakemake option {name}: add it to SNAKEMAKE_OPTIONS in test_guide.py"
        values = [inline] if has_value else []
        if arity == 1 and not has_value:
            values.append(rest.pop(0))
        elif arity == "+" and not has_value:
            while rest and not rest[0].startswith("-"):
                values.append(rest.pop(0))
        assert arity == 0 or values, f"{name} without a value"
        options.setdefault(name, []).extend(values)
    return options, targets


def check_snakemake(command: Command, tmp_path: Path) -> None:
    """Run as written in a fresh copy; as a dry run unless it is --unlock or only asks for first stages."""
    main = copy_repository(tmp_path)
    place_sample(tmp_path)
    options, targets = parse_snakemake(command.argv[1:])
    for configfile in options.get("--configfile", []):
        if configfile == "mine.yaml":
            write_mine(main, command.mine, tmp_path)
        assert (main / configfile).is_file(), (f"--configfile {configfile}: no such file (a word after --configfile "
                                               "is read as a config file: give targets before it)")
    real = "--unlock" in options or (targets and all(t.startswith(FIRST_STAGES) for t in targets))
    argv = venv("snakemake") + ([] if real else ["--dry-run"]) + command.argv[1:]
    result = run(argv, main, RUN_TIMEOUT if real else DRY_TIMEOUT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, tail(result)
    assert "Traceback" not in output, tail(result)
    if "--unlock" in options:
        assert "Unlocked working directory" in output, tail(result)
        return
    for target in targets:
        if real:
            assert (main / target).is_file(), f"{target} not made\n{tail(result)}"
        else:
            assert re.search(rf"output: .*{re.escape(target)}", output), f"{target} not planned\n{tail(result)}"
    if not real:
        assert "Job stats:" in output and "This was a dry-run" in output, tail(result)
        if not targets:
            assert re.search(r"^\s*(local)?rule all:", output, flags=re.M), tail(result)


def check_pytest(command: Command, tmp_path: Path) -> None:
    """The test suite itself: every test module imports and every test is collected; .ci/run runs this."""
    assert command.argv[1:] == ["-m", "pytest", "-q"], command.text
    main = copy_repository(tmp_path)
    result = run(venv("python") + ["-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider"], main,
                 RUN_TIMEOUT)
    assert result.returncode == 0, tail(result)
    assert re.search(r"^\d+ tests? collected", result.stdout, flags=re.M), tail(result)


def check_spatule(command: Command, tmp_path: Path) -> None:
    """``python -m spatule SUBCOMMAND`` or ``spatule SUBCOMMAND``: --help lists the options used; gpu-check
    runs with the GPUs hidden."""
    module = command.argv[1:3] == ["-m", "spatule"]
    words = command.argv[3:] if module else command.argv[1:]
    assert words, command.text
    subcommand, options = words[0], [w.split("=")[0] for w in words[1:] if w.startswith("-")]
    main = copy_repository(tmp_path)
    spatule = venv("python") + ["-m", "spatule"] if module else venv("spatule")
    result = run(spatule + [subcommand, "--help"], main, 120)
    assert result.returncode == 0, tail(result)
    for option in options:
        assert option in result.stdout, f"{option} is not an option of spatule {subcommand}\n{result.stdout}"
    if subcommand == "gpu-check":
        result = run(spatule + words, main, RUN_TIMEOUT, env={"CUDA_VISIBLE_DEVICES": "-1"})
        output = result.stdout + result.stderr
        assert result.returncode == 1, tail(result)
        assert "TensorFlow sees no GPU here" in output, tail(result)
        assert "CUDA_VISIBLE_DEVICES='-1' hides every GPU" in output, tail(result)
        # the way out it prints is the guide's own GPU install and check commands
        for words in (".venv/bin/pip install -r requirements-gpu.txt -c constraints.txt", command.text):
            assert words in output, (words, tail(result))
            assert any(c.text == words for c in COMMANDS), f"the guide does not show {words!r}"


CHECKS: dict[str, Callable[[Command, Path], None]] = {
    "python3 -m venv": check_venv,
    f"{VENV_BIN}pip": check_pip,
    f"{VENV_BIN}snakemake": check_snakemake,
    f"{VENV_BIN}python -m pytest": check_pytest,
    f"{VENV_BIN}python -m spatule": check_spatule,
    f"{VENV_BIN}spatule": check_spatule,
}


def check_for(command: Command) -> Callable[[Command, Path], None] | None:
    for start, check in CHECKS.items():
        if command.argv[: len(start.split())] == start.split():
            return check
    return None


@pytest.mark.workflow
@pytest.mark.parametrize("command", COMMANDS, ids=[c.text for c in COMMANDS])
def test_every_command_of_the_guide_works(command: Command, tmp_path: Path):
    check = check_for(command)
    assert check is not None, (f"README line {command.line}: {command.text!r}: test_guide.py does not know how "
                               "to check this command; add a check to CHECKS")
    check(command, tmp_path)


# --- the rest of the guide ----------------------------------------------------------------------

def test_every_config_snippet_of_the_guide_goes_through_snakemake():
    """Each ```yaml block is part of mine.yaml for a command run above (at least a dry run: the schema, the
    config checks and the plan): a snippet after the last such command would be checked by nothing."""
    uses_mine = [c for c in COMMANDS if c.argv[0].endswith("snakemake") and "mine.yaml" in c.argv]
    snippets = [b.line for b in fenced_blocks(guide_text()) if b.lang == "yaml"]
    assert snippets and uses_mine
    unchecked = [line for line in snippets if not any(line in c.yaml_lines for c in uses_mine)]
    assert not unchecked, f"README lines {unchecked}: a ```yaml block with no snakemake --configfile mine.yaml after it"


def test_the_guide_starts_with_the_two_fresh_machine_commands():
    setup = "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt -c constraints.txt && "
    first, second = [b.body.strip() for b in fenced_blocks(README.read_text(encoding="utf-8"))
                     if b.lang == "bash"][:2]
    assert first == setup + ".venv/bin/snakemake --cores all"
    assert second == setup + ".venv/bin/python -m pytest -q"
    ci = [line for line in (REPO / ".ci/run").read_text().splitlines() if line.strip()]
    assert ci[-1] == second, "CI must run exactly the README's test command"
    assert re.findall(r"^## .+$", guide_text(), flags=re.M)[0] == "## Two commands on a fresh machine"


def test_the_guide_part_is_short():
    assert len(guide_text().splitlines()) <= 160


def test_every_command_kind_is_known():
    assert COMMANDS and all(check_for(c) for c in COMMANDS), [c.text for c in COMMANDS if not check_for(c)]
    # the broken command stays fixed: a target never follows --configfile
    for command in COMMANDS:
        if command.argv[0] == f"{VENV_BIN}snakemake":
            parse_snakemake(command.argv[1:])
            words = command.argv[1:]
            if "--configfile" in words:
                after = words[words.index("--configfile") + 1:]
                assert not any(w.startswith("results/") for w in after), command.text


def troubleshooting() -> str:
    return guide_text().split("## Troubleshooting", 1)[1]


def test_the_troubleshooting_quotes_are_what_the_code_prints():
    quoted = set(re.findall(r'"([^"]+)"', troubleshooting()))
    assert quoted == set(QUOTED), f"quotes checked by test_guide.py: {sorted(QUOTED)}; in the README: {quoted}"
    import snakemake.exceptions

    source = Path(snakemake.exceptions.__file__).read_text(encoding="utf-8")
    for words, where in QUOTED.items():
        if where == "snakemake.exceptions":
            assert words in source, words
    # the out-of-memory error is TensorFlow's own class
    errors = Path(importlib.util.find_spec("tensorflow").submodule_search_locations[0]) / \
        "python/framework/errors_impl.py"
    assert "ResourceExhaustedError" in troubleshooting()
    assert "class ResourceExhaustedError" in errors.read_text(encoding="utf-8")


@pytest.mark.workflow
def test_a_gpu_run_without_gpu_stops_at_the_devices_step_saying_why(tmp_path: Path):
    """What the troubleshooting says: the devices step stops the run, the reason in logs/devices.log."""
    main = copy_repository(tmp_path)
    (main / "gpu.yaml").write_text(yaml.safe_dump({"train": {"preset": "gpu"}}))
    result = run(venv("snakemake") + ["--cores", "1", "results/model/devices.json", "--configfile", "gpu.yaml"],
                 main, RUN_TIMEOUT, env={"CUDA_VISIBLE_DEVICES": "-1"})
    assert result.returncode != 0, tail(result)
    assert "Error in rule devices" in result.stdout + result.stderr, tail(result)
    log = (main / "logs/devices.log").read_text(encoding="utf-8")
    assert "TensorFlow sees no GPU here" in log and "CUDA_VISIBLE_DEVICES='-1' hides every GPU" in log, log
    for words in ("`devices`", "logs/devices.log", "train.preset: demo"):
        assert words in troubleshooting(), words


# --- config keys and links ----------------------------------------------------------------------

def schema_keys() -> dict[str, dict]:
    schema = yaml.safe_load((REPO / "schemas/config.schema.yaml").read_text())

    def leaves(node: dict, prefix: str) -> dict[str, dict]:
        out = {prefix: node} if prefix else {}
        for key, child in (node.get("properties") or {}).items():
            out.update(leaves(child, f"{prefix}.{key}" if prefix else key))
        return out

    return leaves(schema, "")


def documents() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def test_every_config_key_named_exists():
    keys = schema_keys()
    sections = {k for k in keys if "." not in k}
    for path in documents():
        for code in re.findall(r"`([^`\n]+)`", path.read_text(encoding="utf-8")):
            for key in re.findall(r"(?<![\w./-])([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)(?![\w(/])", code):
                if key.split(".")[0] in sections and not key.endswith((".yaml", ".csv", ".json")):
                    assert key in keys, f"{path.name}: `{code}` names {key}, which the config schema does not have"


def resolved_default(key: str, keys: dict[str, dict]) -> Any:
    """What applies when mine.yaml leaves the key out: config.yaml's value, else the schema's default."""
    node: Any = yaml.safe_load((REPO / "config.yaml").read_text())
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return keys[key].get("default", KeyError)
        node = node[part]
    return node


def test_the_configuration_page_lists_every_key_with_its_default():
    keys = schema_keys()
    rows = re.findall(r"^\| `([a-z0-9_.]+)` \| (.+?) \| .+ \|$", (DOCS / "configuration.md").read_text(), flags=re.M)
    assert rows
    documented = {key for key, _ in rows}
    for key, node in keys.items():
        if "." in key and not node.get("properties"):
            assert key in documented or key.rsplit(".", 1)[0] in documented, f"{key} is not in docs/configuration.md"
    for key, default in rows:
        assert key in keys, key
        expected = resolved_default(key, keys)
        if default.startswith("`"):
            assert yaml.safe_load(default.strip("`")) == expected, (key, default, expected)
        else:
            assert expected is KeyError and default.startswith("unset"), (key, default, expected)


def slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_resolves():
    for path in documents():
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
            if re.match(r"\w+://", target):
                continue
            file, _, anchor = target.partition("#")
            linked = (path.parent / file).resolve() if file else path
            assert linked.exists(), f"{path.name}: link {target} leads nowhere"
            if anchor and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), flags=re.M)
                assert anchor in {slug(h) for h in headings}, f"{path.name}: no heading #{anchor} in {file}"
