"""Only safe YAML loading anywhere, and nothing else that turns data into code: a scan of the code's AST.

Allowed: ruamel ``YAML()`` / ``YAML(typ="rt"|"safe"|"base")`` (they build only maps, lists and scalars) and
PyYAML's parser and composer (``CParser``, ``compose``), which build nodes, never objects; PyYAML loading only
with ``SafeLoader``/``CSafeLoader``/``BaseLoader``. Refused: every other loader, ``typ="unsafe"|"full"``,
ruamel's unsafe ``Constructor`` and python tags, pickle and its kin, ``eval``/``exec``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("kb", "tests", "benchmarks")

SAFE_TYPS = frozenset({"rt", "safe", "base"})
SAFE_PYYAML_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})
UNSAFE_NAMES = frozenset({
    "Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader", "CUnsafeLoader", "UnsafeConstructor",
    "FullConstructor", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all",
})
PYYAML_LOADS = frozenset({"load", "load_all"})
CODE_FROM_DATA = frozenset({"pickle", "cPickle", "_pickle", "dill", "shelve", "marshal", "jsonpickle", "cloudpickle"})
BUILTINS_FROM_DATA = frozenset({"eval", "exec"})


def _name(node: ast.AST) -> str:
    """Return the dotted name of a Name/Attribute chain (``yaml.load``), or ''."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _name(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return ""


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _yaml_modules(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Return the names bound to a YAML module (``yaml``, ``ruamel.yaml``) and to its load functions."""
    modules: set[str] = set()
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in {"yaml", "ruamel.yaml"}:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if node.module == "ruamel" and alias.name == "yaml":
                    modules.add(alias.asname or "yaml")
                elif node.module in {"yaml", "ruamel.yaml"} and alias.name in PYYAML_LOADS:
                    functions.add(alias.asname or alias.name)
    return modules, functions


def _call_problem(call: ast.Call, modules: set[str], functions: set[str]) -> str | None:
    name = _name(call.func)
    last = name.rsplit(".", 1)[-1]
    if last in BUILTINS_FROM_DATA and name == last:
        return f"{name}() runs text as code"
    if last == "YAML":
        typ = _keyword(call, "typ")
        if typ is None:
            return None  # ruamel's default is "rt"
        values = typ.elts if isinstance(typ, (ast.List, ast.Tuple)) else [typ]
        for value in values:
            if not (isinstance(value, ast.Constant) and value.value in SAFE_TYPS):
                return f"YAML(typ={ast.unparse(typ)}) may build arbitrary objects; use typ='rt' or 'safe'"
        return None
    module_load = "." in name and name.rsplit(".", 1)[0] in modules and last in PYYAML_LOADS
    if module_load or name in functions:
        loader = _keyword(call, "Loader") or (call.args[1] if len(call.args) > 1 else None)
        if loader is None or _name(loader).rsplit(".", 1)[-1] not in SAFE_PYYAML_LOADERS:
            return f"{name}() without a safe Loader"
    if last in {"add_constructor", "add_multi_constructor"}:
        tag = call.args[0] if call.args else None
        if isinstance(tag, ast.Constant) and "python/" in str(tag.value):
            return f"{name}() registers a python/ tag"
    return None


def problems(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Yield ``(line, why)`` for every unsafe loading or code-from-data construct in ``tree``."""
    modules, functions = _yaml_modules(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            problem = _call_problem(node, modules, functions)
            if problem:
                yield node.lineno, problem
        elif isinstance(node, (ast.Name, ast.Attribute)):
            last = _name(node).rsplit(".", 1)[-1]
            if last in UNSAFE_NAMES and isinstance(node.ctx, ast.Load):
                yield node.lineno, f"{_name(node)} builds arbitrary objects"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in CODE_FROM_DATA:
                    yield node.lineno, f"import {alias.name} turns data into code"
        elif isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".")[0]
            if module in CODE_FROM_DATA:
                yield node.lineno, f"from {node.module} import turns data into code"
            for alias in node.names:
                if alias.name in UNSAFE_NAMES or (alias.name == "Constructor" and module == "ruamel"):
                    yield node.lineno, f"from {node.module} import {alias.name} builds arbitrary objects"


def python_files() -> list[Path]:
    # Our code only: not a virtual environment nested anywhere (benchmarks/.peers), nor any hidden folder.
    return sorted(p for top in SCANNED for p in (ROOT / top).rglob("*.py")
                  if not any(part.startswith(".") or part == "site-packages" for part in p.relative_to(ROOT).parts))


def test_scan_covers_the_code() -> None:
    files = {p.relative_to(ROOT).as_posix() for p in python_files()}
    assert {"kb/load/loader.py", "kb/load/fastyaml.py", "kb/curate/anchor.py", "kb/cli/__init__.py"} <= files


@pytest.mark.parametrize("path", python_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_unsafe_loading(path: Path) -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {why}" for line, why in problems(ast.parse(path.read_text("utf-8")))]
    assert found == []


UNSAFE_SAMPLES = [
    "import yaml\nyaml.load(text)",
    "import yaml\nyaml.load(text, Loader=yaml.Loader)",
    "import yaml\nyaml.load(text, yaml.FullLoader)",
    "import yaml\nyaml.load_all(text, Loader=yaml.CLoader)",
    "import yaml\nyaml.unsafe_load(text)",
    "import yaml\nyaml.full_load(text)",
    "import yaml as y\ny.load(text)",
    "from yaml import load\nload(text)",
    "import ruamel.yaml\nruamel.yaml.load(text)",
    "from ruamel import yaml\nyaml.load(text)",
    "from yaml import UnsafeLoader",
    "from ruamel.yaml import YAML\nYAML(typ='unsafe')",
    "from ruamel.yaml import YAML\nYAML(typ=\"full\")",
    "from ruamel.yaml import YAML\nYAML(typ=['rt', 'unsafe'])",
    "from ruamel.yaml import YAML\nYAML(typ=kind)",
    "from ruamel.yaml.constructor import Constructor",
    "c.add_multi_constructor('tag:yaml.org,2002:python/object', f)",
    "import pickle",
    "from pickle import loads",
    "import marshal",
    "import shelve",
    "eval(text)",
    "exec(text)",
]
SAFE_SAMPLES = [
    "from ruamel.yaml import YAML\nYAML(typ='rt', pure=True)",
    "from ruamel.yaml import YAML\nYAML(typ='safe')",
    "from ruamel.yaml import YAML\nYAML()",
    "import yaml\nyaml.load(text, Loader=yaml.SafeLoader)",
    "import yaml\nyaml.safe_load(text)",
    "from yaml.cyaml import CParser\nCParser(data).get_single_node()",
    "x = literal_eval(text)",
    "from ruamel.yaml import YAML\nYAML(typ='rt').load(text)",
    "pipeline.load(root)",
    "model.model_validate(data)",
]


@pytest.mark.parametrize("source", UNSAFE_SAMPLES)
def test_scan_finds_unsafe_sample(source: str) -> None:
    assert list(problems(ast.parse(source)))


@pytest.mark.parametrize("source", SAFE_SAMPLES)
def test_scan_passes_safe_sample(source: str) -> None:
    assert list(problems(ast.parse(source))) == []
