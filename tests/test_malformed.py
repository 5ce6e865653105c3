"""The malformed-input corpus: every broken curation input gives ``path:line:col: message`` and exit 2.

Each case is a folder under ``tests/malformed/``: files laid over a small valid knowledge base
(``tests/malformed/_base``) and ``expected.txt``, the exact stderr of ``kb validate``. Two cases too large
to keep as files (an oversized file, 100,000 levels of nesting) are written by ``GENERATED``.
Every case runs through the real ``kb validate`` and ``kb export`` commands, and the tree (curation,
seeds and an earlier export) must be byte for byte what it was before; and a server reloading live keeps
serving the version it had, saying on /health why it did not take the new files.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette

from kb.cli import main
from kb.config import Settings
from kb.errors import CurationError
from kb.graph.snapshot import Snapshot
from kb.load import fastyaml, loader
from kb.serve import served as serving
from kb.serve.app import create_app
from kb.serve.reload import MAX_ERRORS_SHOWN, Reloader, attach

CORPUS = Path(__file__).parent / "malformed"
BASE = CORPUS / "_base"
EXPORT = "out/kb.ttl"


def _oversized(root: Path) -> None:
    record = "- id: topic-{:07d}\n  label: A topic that pads the file past the size limit\n"
    count = loader.MAX_FILE_BYTES // len(record.format(0)) + 1
    text = "".join(record.format(i) for i in range(count))
    (root / "curation/topics.yaml").write_text(text, "utf-8")


def _deep_100k(root: Path) -> None:
    depth = 100_000
    text = "- id: bilateral-relations\n  label: Bilateral relations\n  aliases: " + "[" * depth + "]" * depth + "\n"
    (root / "curation/topics.yaml").write_text(text, "utf-8")


GENERATED: dict[str, Callable[[Path], None]] = {
    "oversized-file": _oversized,
    "deep-nesting-100k": _deep_100k,
}
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def tree_digest(root: Path) -> dict[str, str]:
    """Return the sha256 of every file under ``root``, by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def build_case(name: str | None, tmp: Path) -> Path:
    """Return a project root holding the base knowledge base with case ``name`` (if any) laid over it."""
    root = tmp / "kb"
    shutil.copytree(BASE, root)
    if name is None:
        return root
    case = CORPUS / name
    for path in case.rglob("*"):
        if path.is_file() and path.name != "expected.txt":
            target = root / path.relative_to(case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    if name in GENERATED:
        GENERATED[name](root)
    return root


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="session")
def base_export(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The Turtle export of the valid base, as a project would have it from before the breakage."""
    out = tmp_path_factory.mktemp("export") / "kb.ttl"
    result = invoke("export", "--root", str(BASE), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_corpus_has_at_least_25_cases_each_with_an_expectation() -> None:
    assert len(CASES) >= 25
    for name in CASES:
        case = CORPUS / name
        assert (case / "expected.txt").is_file(), name
        laid = [p for p in case.rglob("*") if p.is_file() and p.name != "expected.txt"]
        assert laid or name in GENERATED, f"{name} changes nothing"
    assert set(GENERATED) <= set(CASES)


def test_base_is_valid() -> None:
    result = invoke("validate", "--root", str(BASE))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 2 sources")


@pytest.mark.parametrize("name", CASES)
def test_malformed_input_is_reported_and_nothing_changes(name: str, tmp_path: Path, base_export: bytes) -> None:
    root = build_case(name, tmp_path)
    (root / EXPORT).parent.mkdir()
    (root / EXPORT).write_bytes(base_export)
    before = tree_digest(root)
    expected = (CORPUS / name / "expected.txt").read_text("utf-8")

    result = invoke("validate", "--root", str(root))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == expected
    lines = expected.splitlines()
    assert lines[-1] == f"{len(lines) - 1} error(s)"
    for line in lines[:-1]:
        path, row, column, message = line.split(":", 3)
        assert (root / path).is_file() and int(row) >= 1 and int(column) >= 1 and message.strip(), line

    exported = invoke("export", "--root", str(root), "-o", str(root / EXPORT))
    assert (exported.exit_code, exported.stderr) == (2, expected)
    assert tree_digest(root) == before


@dataclass
class Served:
    """A live-reloading app serving the valid base from ``root``, which each case then breaks."""

    root: Path
    app: Starlette
    reloader: Reloader
    snapshot: Snapshot


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    root = build_case(None, tmp_path_factory.mktemp("served"))
    settings = Settings(root=root)
    snapshot = serving.build(settings)
    app = create_app(settings, snapshot)
    return Served(root, app, attach(app, settings), snapshot)


@pytest.mark.parametrize("name", CASES)
def test_malformed_input_leaves_the_served_version(name: str, tmp_path: Path, served: Served) -> None:
    app, reloader, snapshot = served.app, served.reloader, served.snapshot
    shutil.rmtree(served.root)
    shutil.copytree(build_case(name, tmp_path), served.root)

    assert reloader.rebuild() is False
    assert app.state.served.current is snapshot
    expected = (CORPUS / name / "expected.txt").read_text("utf-8").splitlines()[:-1]
    assert reloader.status.errors == expected[:MAX_ERRORS_SHOWN]

    async def ask() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb.test") as http:
            answer = await http.post("/graphql", json={"query": '{ person(id: "wang-yi") { name } }'})
            return answer, await http.get("/health")

    answer, health = asyncio.run(ask())
    assert answer.headers["x-kb-version"] == snapshot.version
    assert answer.json() == {"data": {"person": {"name": "Wang Yi"}}}
    assert health.json()["status"] == "stale" and health.json()["reload"]["errors"] == expected[:MAX_ERRORS_SHOWN]


@pytest.mark.parametrize("name", ["billion-laughs", "deep-nesting-100k", "tag-python-object"])
def test_malformed_input_through_the_installed_command(name: str, tmp_path: Path) -> None:
    root = build_case(name, tmp_path)
    before = tree_digest(root)
    kb = Path(sys.executable).with_name("kb")
    result = subprocess.run([str(kb), "validate", "--root", str(root)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (CORPUS / name / "expected.txt").read_text("utf-8")
    assert tree_digest(root) == before


def test_malformed_input_as_json_names_file_line_and_column(tmp_path: Path) -> None:
    root = build_case("many-errors-many-files", tmp_path)
    result = invoke("validate", "--root", str(root), "--json")
    assert result.exit_code == 2
    errors = json.loads(result.stdout)["errors"]
    assert [f"{e['path']}:{e['line']}:{e['column']}" for e in errors] == [
        line.split(": ")[0] for line in (CORPUS / "many-errors-many-files/expected.txt").read_text().splitlines()[:-1]
    ]


def test_billion_laughs_is_rejected_before_anything_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    # Expansion happens when a node tree is composed (by libyaml or ruamel) and walked; neither may run.
    from ruamel.yaml.composer import Composer

    composed: list[str] = []
    monkeypatch.setattr(Composer, "compose_document", lambda self: composed.append("ruamel"))
    monkeypatch.setattr(fastyaml._Composer, "get_single_node", lambda self: composed.append("libyaml"))
    data = (CORPUS / "billion-laughs/curation/topics.yaml").read_bytes()
    assert data.count(b"*l") == 81  # nine levels of nine aliases: 9**9 = 387,420,489 leaves if expanded

    with pytest.raises(CurationError) as raised:
        loader.parse_yaml(data, "curation/topics.yaml", "topics")
    assert str(raised.value).startswith("curation/topics.yaml:3:12: YAML anchors and aliases are not allowed")
    assert composed == []


@pytest.mark.parametrize("scalar", ["no", "on", "yes", "off", "22:22", "2023-07-13", "0x1F", "y", "NO", "~x"])
def test_yaml12_plain_scalars_where_text_is_expected_stay_text(scalar: str, tmp_path: Path) -> None:
    # YAML 1.1 read these as booleans, sexagesimal numbers or dates; curation files are YAML 1.2 and the
    # models strict, so a label of `no` is the text "no" -- and where an id or a choice is expected, the
    # text is checked like any other (tests/malformed/yaml11-*).
    root = build_case(None, tmp_path)
    (root / "curation/topics.yaml").write_text(f"- id: bilateral-relations\n  label: {scalar}\n", "utf-8")
    kb = loader.read(root)
    topic = next(f for f in kb.files if f.kind == "topics").records[0]
    if scalar == "0x1F":
        assert topic["label"] == 31  # a 1.2 hexadecimal integer: not text, so the model refuses it
        result = invoke("validate", "--root", str(root))
        assert "label: Input should be a valid string, got the number 31; quote it" in result.stderr
        return
    assert topic["label"] == scalar
    result = invoke("validate", "--root", str(root), "--no-shapes")
    assert result.exit_code == 0, result.output
