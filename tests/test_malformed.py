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
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette

from kb.cli import main
from kb.config import Settings
from kb.errors import CurationError, CurationErrors
from kb.graph.snapshot import Snapshot
from kb.load import fastyaml, loader, read_worker
from kb.load.incremental import IncrementalLoader
from kb.load.version import kb_version
from kb.serve import served as serving
from kb.serve.app import create_app
from kb.serve.reload import MAX_ERRORS_SHOWN, Reloader, attach

CORPUS = Path(__file__).parent / "malformed"
ROOT = Path(__file__).resolve().parent.parent
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


# Links: a seed or curation file (or folder) that is a symbolic link is refused by name and never opened. Found
# by an operator: seeds/001_….txt -> /etc/passwd made kb validate quote the file's lines in 63 errors, and
# /health under kb serve --reload showed them over HTTP.

SECRET = "".join(f"root:x:0:0:secret-line-{n}:/root:/bin/bash\n" for n in range(40))
ONLY_REGULAR = "kb reads only regular files inside the knowledge base"


def _outside(tmp: Path) -> Path:
    """Return a folder beside the knowledge base (so outside it) holding what links point at."""
    outside = tmp / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "passwd").write_text(SECRET, "utf-8")
    leaked = "- id: secret-line-1\n  label: secret-line-2\n  bogus: secret-line-3\n"  # errors would quote it
    for path in (outside / "topics.yaml", outside / "folder" / "topics.yaml"):
        path.write_text(leaked, "utf-8")
    shutil.copytree(BASE / "curation", outside / "curation")
    shutil.copytree(BASE / "seeds", outside / "seeds")
    (outside / "seeds" / "c.txt").write_text(SECRET, "utf-8")
    return outside


def _replace(link: Path, target: Path | str) -> None:
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    link.unlink(missing_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def _fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _link_error(display: str, what: str = "a symbolic link") -> str:
    return f"{display}:1:1: file: {display} is {what}; {ONLY_REGULAR}"


FOLDER, SPECIAL = "a symbolic link to a folder", "not a regular file (a FIFO, socket or device)"
LinkCase = Callable[[Path, Path], None]
LINK_CASES: dict[str, tuple[LinkCase, str]] = {
    "new-seed-to-passwd": (lambda root, out: _replace(root / "seeds/001_x.txt", out / "passwd"),
                           _link_error("seeds/001_x.txt")),
    "cited-seed-to-passwd": (lambda root, out: _replace(root / "seeds/a.txt", out / "passwd"),
                             _link_error("seeds/a.txt")),
    "seed-dangling": (lambda root, out: _replace(root / "seeds/c.txt", out / "missing.txt"),
                      _link_error("seeds/c.txt")),
    "seed-inside-the-tree": (lambda root, out: _replace(root / "seeds/c.txt", "a.txt"), _link_error("seeds/c.txt")),
    "seeds-folder": (lambda root, out: _replace(root / "seeds", out / "seeds"), _link_error("seeds", FOLDER)),
    "seeds-subfolder": (lambda root, out: _replace(root / "seeds/more", out / "folder"),
                        _link_error("seeds/more", FOLDER)),
    "seed-fifo": (lambda root, out: _fifo(root / "seeds/c.txt"), _link_error("seeds/c.txt", SPECIAL)),
    "curation-file": (lambda root, out: _replace(root / "curation/topics.yaml", out / "topics.yaml"),
                      _link_error("curation/topics.yaml")),
    "curation-file-to-passwd": (lambda root, out: _replace(root / "curation/people/more.yml", out / "passwd"),
                                _link_error("curation/people/more.yml")),
    "curation-folder": (lambda root, out: _replace(root / "curation", out / "curation"),
                        _link_error("curation", FOLDER)),
    "curation-subfolder": (lambda root, out: _replace(root / "curation/topics", out / "folder"),
                           _link_error("curation/topics", FOLDER)),
    "curation-fifo": (lambda root, out: _fifo(root / "curation/topics/more.yaml"),
                      _link_error("curation/topics/more.yaml", SPECIAL)),
}

_OPENED: list[str] = []
_WATCHING = [False]


def _watch(event: str, args: tuple[Any, ...]) -> None:
    if _WATCHING[0] and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.path.abspath(os.fsdecode(args[0])))


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Every path opened in this process while the test runs (an audit hook: it cannot be removed, so it is
    installed once and switched on and off)."""
    if not getattr(sys, "_kb_link_watch", False):
        sys.addaudithook(_watch)
        sys._kb_link_watch = True  # type: ignore[attr-defined]
    _OPENED.clear()
    _WATCHING[0] = True
    yield _OPENED
    _WATCHING[0] = False


def _never_opened(paths: list[str], *forbidden: Path) -> None:
    bad = [p for p in paths for f in forbidden if p == str(f) or p.startswith(f"{f}/")]
    assert bad == [], "a link or its target was opened"


@pytest.mark.parametrize("name", LINK_CASES)
def test_a_link_is_refused_by_name_and_never_read(name: str, tmp_path: Path, opened: list[str]) -> None:
    make, error = LINK_CASES[name]
    root = build_case(None, tmp_path)
    (root / EXPORT).parent.mkdir()
    (root / EXPORT).write_bytes(b"an earlier export")
    before_version = kb_version(root)
    outside = _outside(tmp_path)
    make(root, outside)
    link = next(p for p in [*root.rglob("*"), root / "seeds", root / "curation"]
                if p.is_symlink() or (p.exists() and stat.S_ISFIFO(p.lstat().st_mode)))
    opened.clear()

    validated = invoke("validate", "--root", str(root))
    assert (validated.exit_code, validated.stdout, validated.stderr) == (2, "", f"{error}\n1 error(s)\n")
    as_json = invoke("validate", "--root", str(root), "--json")
    assert [e["path"] for e in json.loads(as_json.stdout)["errors"]] == [error.split(":")[0]]
    exported = invoke("export", "--root", str(root), "-o", str(root / EXPORT))
    assert (exported.exit_code, exported.stderr) == (2, f"{error}\n1 error(s)\n")
    assert (root / EXPORT).read_bytes() == b"an earlier export"
    assert kb_version(root) != before_version  # a live server notices the link, and reports it
    assert "secret" not in validated.output + as_json.output + exported.output
    _never_opened(opened, outside, link)


@pytest.mark.parametrize("name", LINK_CASES)
def test_a_link_never_reaches_health(name: str, tmp_path: Path, served: Served, opened: list[str]) -> None:
    make, error = LINK_CASES[name]
    shutil.rmtree(served.root)
    shutil.copytree(BASE, served.root)
    outside = _outside(tmp_path)
    make(served.root, outside)
    opened.clear()

    assert served.reloader.rebuild() is False
    assert served.app.state.served.current is served.snapshot
    assert served.reloader.status.errors == [error]

    async def health() -> httpx.Response:
        transport = httpx.ASGITransport(app=served.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kb.test") as http:
            return await http.get("/health")

    answer = asyncio.run(health())
    assert answer.json()["reload"]["errors"] == [error] and "secret" not in answer.text
    _never_opened(opened, outside)


def test_the_operators_case_on_the_real_knowledge_base(tmp_path: Path, opened: list[str]) -> None:
    root = tmp_path / "kb"
    for folder in ("seeds", "curation"):
        shutil.copytree(ROOT / folder, root / folder)
    seed = next(p for p in sorted((root / "seeds").iterdir()) if p.name.startswith("001_"))
    outside = _outside(tmp_path)
    _replace(seed, outside / "passwd")
    display = f"seeds/{seed.name}"
    opened.clear()

    result = invoke("validate", "--root", str(root))
    assert (result.exit_code, result.stderr) == (2, f"{_link_error(display)}\n1 error(s)\n")
    with pytest.raises(CurationErrors) as raised:
        IncrementalLoader(root).load()  # kb serve --reload's loader
    assert [str(e) for e in raised.value] == result.stderr.splitlines()[:-1]
    _never_opened(opened, outside, seed)
    # The parallel reader, handed a file that became a link after the walk: O_NOFOLLOW refuses to open it, and
    # the parent reports it.
    assert read_worker.answer(seed, display, "sources") is None
    assert isinstance(loader.parse_files([(seed, display, "sources")])[0], CurationError)
    _never_opened(opened, outside)


def test_an_error_quotes_one_line_of_an_article_at_most(tmp_path: Path) -> None:
    root = build_case(None, tmp_path)
    article = (root / "seeds/a.txt").read_text("utf-8")
    start = article.index("\n") - 8  # the evidence now spans the end of line 1 and line 2
    people = root / "curation/people.yaml"
    people.write_text(people.read_text("utf-8").replace("start: 48\n    end: 62", f"start: {start}\n    end: "
                                                        f"{start + 40}"), "utf-8")
    result = invoke("validate", "--root", str(root))
    shown = article[start:article.index("\n")]
    assert result.exit_code == 2
    assert f"article text at {start}..{start + 40} is {shown!r}..., not the quote" in result.stderr
    assert "Wang told" not in result.stderr
