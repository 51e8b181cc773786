"""The package stays one a newcomer can carry: small modules and functions, stage calls of a few records,
packages that do not lean on each other both ways, TensorFlow only where a model runs."""

import ast
import subprocess
import sys
from pathlib import Path

from conftest import REPO

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50
MAX_STAGE_PARAMETERS = 8


def modules() -> dict[str, tuple[Path, ast.Module]]:
    """Every module of the package by dotted name, parsed."""
    found = {}
    for path in sorted((REPO / "spatule").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return found


def imports(tree: ast.Module) -> list[str]:
    """Every module a tree imports, at the top or inside a function, but not under ``if TYPE_CHECKING:``."""
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
                   for n in ast.walk(node)}
    names = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names.extend(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_no_module_over_300_lines_and_no_function_over_50():
    too_long = []
    for name, (path, tree) in modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{name}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert not too_long, too_long


def test_no_stage_function_takes_more_than_8_parameters():
    """A rule's stage call (spatule/stages) takes records of its inputs, not a long row of paths and values."""
    long = []
    for name, (_, tree) in modules().items():
        if not name.startswith("spatule.stages."):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                count = len(node.args.posonlyargs) + len(node.args.args) + len(node.args.kwonlyargs)
                if count > MAX_STAGE_PARAMETERS:
                    long.append(f"{name}.{node.name}: {count} parameters")
    assert not long, long


def package_of(module: str) -> str:
    """``spatule.detection.card`` -> ``spatule.detection``; a top-level module is its own unit."""
    return ".".join(module.split(".")[:2])


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of units that import each other, directly or round a loop (strongly connected, > 1)."""
    order, low, stack, cycles = {}, {}, [], []

    def visit(unit: str) -> None:
        order[unit] = low[unit] = len(order)
        stack.append(unit)
        for other in sorted(edges.get(unit, ())):
            if other not in order:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], order[other])
        if low[unit] == order[unit]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == unit:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for unit in sorted(edges):
        if unit not in order:
            visit(unit)
    return cycles


def test_import_cycles_are_found_round_a_loop():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_packages():
    """spatule.demo and spatule.reading, spatule.detection and spatule.evaluate, ...: one may use the other, never
    both ways (imports inside functions count)."""
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, (_, tree) in known.items():
        for target in imports(tree):
            if target in known and target != "spatule" and package_of(target) != package_of(name):
                edges.setdefault(package_of(name), set()).add(package_of(target))
    assert not import_cycles(edges)


TENSORFLOW = ("tensorflow", "tf_keras", "keras", "official", "tensorboard", "spatule.model")
"""TensorFlow, its Keras versions, the Model Garden, and spatule's Model Garden package."""

RUN_A_MODEL = {
    "spatule.detection.engines", "spatule.detection.runtimes", "spatule.devices",
    "spatule.gpu_check", "spatule.negatives", "spatule.reading.reader", "spatule.reading.train",
    "spatule.stages.reading", "spatule.stages.training", "spatule.tfrecords",
}
"""The modules outside spatule.model that import TensorFlow (inside the functions that run a model, write
TFRecords)."""


def test_tensorflow_is_imported_only_by_the_modules_that_run_a_model():
    """Seen in every import, inside functions too: a new module that imports TensorFlow is a decision."""
    using = {name for name, (_, tree) in modules().items() if not name.startswith("spatule.model")
             and any(t == p or t.startswith(p + ".") for t in imports(tree) for p in TENSORFLOW)}
    assert using == RUN_A_MODEL, (sorted(using - RUN_A_MODEL), sorted(RUN_A_MODEL - using))


def test_the_data_stages_never_load_tensorflow():
    """Every script imports spatule.stages: TensorFlow must stay out of it (the data rules' env has none)."""
    code = "import sys, spatule.stages; sys.exit(int('tensorflow' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=120).returncode == 0


REPORT_WITHOUT_TENSORFLOW = """
import sys
from pathlib import Path
import spatule.report, spatule.stages.reporting
from spatule.events import read_scalars, training_scalars
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

folder = Path(sys.argv[1])
(folder / "train").mkdir()
with (folder / "train" / "events.out.tfevents.1.host").open("wb") as handle:
    records = RecordWriter(handle)
    records.write(event_pb2.Event(wall_time=99.0, file_version="brain.Event:2").SerializeToString())
    for step, loss in ((10, 2.0), (20, 1.5)):  # as tf.summary.scalar writes them: a float tensor of no shape
        tensor = {"dtype": 1, "tensor_shape": {}, "float_val": [loss]}
        value = summary_pb2.Summary.Value(tag="total_loss", tensor=tensor)
        records.write(event_pb2.Event(wall_time=100.0 + step, step=step,
                                      summary=summary_pb2.Summary(value=[value])).SerializeToString())
    value = summary_pb2.Summary.Value(tag="total_loss", simple_value=1.25)  # as TF1 summaries wrote them
    records.write(event_pb2.Event(wall_time=130.5, step=30,
                                  summary=summary_pb2.Summary(value=[value])).SerializeToString())
assert read_scalars(folder / "train") == {"total_loss": [(10, 110.0, 2.0), (20, 120.0, 1.5), (30, 130.5, 1.25)]}
train, validation = training_scalars(folder)
assert len(train["total_loss"]) == 3 and validation == {}
sys.exit(int("tensorflow" in sys.modules))
"""


def test_the_report_reads_training_curves_without_tensorflow(tmp_path):
    """The report rule runs in the data environment: spatule.report, the reporting stage and the event-file
    reader import no TensorFlow, and the reader gives back the scalars of an event file that tensorboard's
    own writer (TensorFlow-free) wrote."""
    done = subprocess.run([sys.executable, "-c", REPORT_WITHOUT_TENSORFLOW, str(tmp_path)], cwd=REPO, timeout=120,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
