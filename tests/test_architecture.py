"""The stages of kb/ and the rules between them (docs/architecture.md): imports flow downwards, never in a circle,
never from inside a function; no module grows past 400 lines."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kb"
MAX_LINES = 400
STAGES = {"model", "load", "graph", "curate", "publish", "serve", "api", "pages"}
FOUNDATIONS = {"__init__", "config", "contracts", "errors", "export", "progress", "vocab"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_import_contracts_are_kept_without_exceptions() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert {c["type"] for c in config["contracts"]} == {"layers", "acyclic_siblings"}
    assert not any("ignore_imports" in contract for contract in config["contracts"])
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_the_tree_shows_the_stages() -> None:
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert STAGES <= packages
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == FOUNDATIONS
    docstring = ast.get_docstring(ast.parse((PACKAGE / "__init__.py").read_text())) or ""
    positions = [docstring.find(stage) for stage in ("load", "graph", "serve")]
    assert -1 not in positions and positions == sorted(positions)


def _function_level_kb_imports(path: Path) -> list[int]:
    """Return the lines of ``path`` where a function imports kb (TYPE_CHECKING blocks are module-level)."""
    lines = []
    for function in ast.walk(ast.parse(path.read_text())):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if any(name == "kb" or name.startswith("kb.") for name in names):
                lines.append(node.lineno)
    return sorted(set(lines))  # a nested function's import is seen from each enclosing one


def test_no_import_of_kb_inside_a_function() -> None:
    hits = {str(p.relative_to(ROOT)): lines for p in _modules() if (lines := _function_level_kb_imports(p))}
    assert hits == {}


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import kb\n\n\ndef f():\n    from kb.graph import store\n\n    async def g():\n"
                      "        import kb.vocab\n    return store\n")
    assert _function_level_kb_imports(module) == [5, 8]


def test_no_module_over_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
