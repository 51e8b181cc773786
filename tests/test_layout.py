"""The package stays one a newcomer can carry: small modules and functions, no TensorFlow in the data rules."""

import ast
import subprocess
import sys

from conftest import REPO

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_no_module_over_400_lines_and_no_function_over_60():
    too_long = []
    for path in sorted((REPO / "spatule").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(REPO).as_posix()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {lines} lines")
    assert not too_long, too_long


def test_the_data_stages_never_load_tensorflow():
    """Every script imports spatule.stages: TensorFlow must stay out of it (the data rules' env has none)."""
    code = "import sys, spatule.stages; sys.exit(int('tensorflow' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=120).returncode == 0
