"""kb.graph.kept and kb.graph.restart: the graph kept on disk between runs, opened, patched or built again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from benchmarks import generate
from kb import cli
from kb.api import searchindex
from kb.config import Settings
from kb.graph import kept, loaderstate, restart
from kb.graph.snapshot import Snapshot
from kb.load import incremental, loader
from kb.load.version import kb_version
from kb.serve import served as serving
from kb.serve.app import create_app
from kb.serve.reload import Reloader, create_live_app
from tests.apikit import worker_requests
from tests.test_reload import LABELS, meetings_labelled, project, save

__all__ = ["project"]  # the fixture, shared with tests/test_reload.py

KB = str(Path(sys.executable).parent / "kb")
LABEL_QUERY = ("SELECT ?l { ?m a <https://schema.org/Event> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }")


def labels(snapshot: Snapshot) -> set[str]:
    return {str(row[0].value) for row in snapshot.graph.native.query(LABEL_QUERY)}


def build_of(snapshot: Snapshot) -> kept.Kept:
    assert snapshot.graph.kept is not None
    return snapshot.graph.kept


def current(cache: Path) -> kept.Kept:
    found = kept.current(cache)
    assert found is not None
    return found


def disk(root: Path) -> Settings:
    return Settings(root=root, store="disk")


def test_a_restart_on_unchanged_files_opens_the_kept_store_without_reading_yaml(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = restart.start(disk(project))
    assert (first.how, first.reason) == ("built", "no kept build")
    manifest = json.loads((build_of(first.snapshot).path / kept.MANIFEST).read_text())
    assert manifest["version"] == kb_version(project) and manifest["code"] == kept.code_version()
    assert set(manifest["inputs"]) == {p.relative_to(project).as_posix()
                                       for p in [*(project / "seeds").iterdir(), *(project / "curation").iterdir()]}
    assert manifest["counts"]["triples"] == first.snapshot.counts["triples"] > 0

    def no_reading(*_: object, **__: object) -> None:
        raise AssertionError("the YAML was read again")

    monkeypatch.setattr(loader, "parse_files", no_reading)
    monkeypatch.setattr(incremental.IncrementalLoader, "load", no_reading)
    again = restart.start(disk(project))
    assert (again.how, again.snapshot.version) == ("opened", first.snapshot.version)
    assert again.snapshot.counts == first.snapshot.counts
    assert labels(again.snapshot) == labels(first.snapshot) and LABELS[0] in labels(again.snapshot)
    assert (project / ".kb" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_changed_file_patches_a_copy_and_leaves_the_old_build_whole(project: Path) -> None:
    first = restart.start(disk(project))
    old_path = build_of(first.snapshot).path
    save(project / "curation" / "meetings.yaml", meetings_labelled(1))
    patched = restart.start(disk(project))
    assert (patched.how, patched.reason) == ("patched", "1 files changed")
    assert patched.snapshot.version == kb_version(project) and build_of(patched.snapshot).path != old_path
    assert f"{LABELS[0]}, take 1" in labels(patched.snapshot)
    fresh = serving.build(Settings(root=project, store="memory"))
    assert set(patched.snapshot.graph.native) == set(fresh.graph.native)
    assert patched.snapshot.counts == fresh.counts
    old = kept.Kept(old_path, build_of(first.snapshot).manifest)
    assert LABELS[0] in {str(row[0].value) for row in old.open().query(LABEL_QUERY)}  # untouched
    assert json.loads((build_of(patched.snapshot).path / kept.MANIFEST).read_text())["parent"] == \
        first.snapshot.version


@pytest.mark.parametrize("what", ["code", "schema"])
def test_a_build_by_other_code_or_schema_is_built_again(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                        what: str) -> None:
    first = restart.start(disk(project))
    if what == "code":
        monkeypatch.setattr(kept, "code_version", lambda: "another kb")
    else:
        monkeypatch.setattr(kept, "schema_hashes", lambda: {"kb.ttl": "another schema"})
    again = restart.start(disk(project))
    assert (again.how, again.reason) == ("built", f"{what} changed")
    assert build_of(again.snapshot).path != build_of(first.snapshot).path
    assert again.snapshot.counts == first.snapshot.counts


def test_a_build_killed_midway_leaves_the_last_good_one_served(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    generate.write(root, 3000)
    good = restart.start(disk(root))
    good_version, good_path = good.snapshot.version, build_of(good.snapshot).path
    del good
    people = min((root / "curation" / "people").glob("*.yaml"))
    original = people.read_bytes()
    people.write_bytes(original + b"\n# edited\n")
    (good_path / kept.STATE).unlink()  # no state to patch from: the next build reads and builds everything
    builds = root / ".kb" / kept.BUILDS
    process = subprocess.Popen([KB, "build", "--root", str(root), "--cache", str(root / ".kb"), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(kept.PARTIAL) and any((p / kept.STORE).glob("*.sst")) for p in builds.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, "the build ended before it could be killed"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert any(p.name.endswith(kept.PARTIAL) for p in builds.iterdir())  # killed while writing its store
    assert current(root / ".kb").path == good_path

    people.write_bytes(original)  # the files of the last good build: it is served as it was
    again = restart.start(disk(root))
    assert (again.how, again.snapshot.version) == ("opened", good_version)
    assert build_of(again.snapshot).path == good_path
    assert not any(p.name.endswith(kept.PARTIAL) for p in builds.iterdir())  # swept


def test_sparql_workers_open_the_servers_store_and_follow_a_reload(project: Path) -> None:
    app = create_live_app(disk(project))
    reloader: Reloader = app.state.reloader
    guard = app.state.sparql_guard
    sent = worker_requests(guard)
    query, accept = {"query": LABEL_QUERY}, {"accept": "application/sparql-results+json"}

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb") as client:
            before = await client.post("/sparql", data=query, headers=accept)
            assert before.status_code == 200 and ", take" not in before.text
            store = str(build_of(app.state.served.current).store_path)
            worker = next(w for w in guard.workers if w.version == app.state.served.current.version)
            opened = {os.readlink(f"/proc/{worker.process.pid}/fd/{fd}")
                      for fd in os.listdir(f"/proc/{worker.process.pid}/fd")}
            assert any(path.startswith(store) for path in opened)  # the very files the server reads
            save(project / "curation" / "meetings.yaml", meetings_labelled(1))
            assert reloader.rebuild() is True and reloader.status.last_build == "patched"
            after = await client.post("/sparql", data=query, headers=accept)
            assert after.status_code == 200 and after.headers["x-kb-version"] == kb_version(project)
            assert {f"{label}, take 1" for label in LABELS} <= set(after.text.split('"'))

    try:
        asyncio.run(scenario())
        assert sent["load"] == 0 and sent["patch"] == 0 and sent["open"] >= 1  # no copy of the graph was sent
    finally:
        guard.close()
    assert current(project / ".kb").manifest.version == kb_version(project)  # the next start opens it


def test_a_server_started_from_the_kept_store_patches_its_first_edit(project: Path) -> None:
    restart.start(disk(project))
    app = create_live_app(disk(project))
    reloader: Reloader = app.state.reloader
    assert reloader.kb is None  # nothing read at start

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb") as client:
            await reloader.adopt(asyncio.Event())  # what the server runs beside itself once it answers
            assert reloader.kb is not None
            save(project / "curation" / "meetings.yaml", meetings_labelled(2))
            assert await reloader.reload() is True and reloader.status.last_build == "patched"
            query = "{ meetings(first: 100) { nodes { label } } }"
            body = (await client.post("/graphql", json={"query": query})).json()
            assert f"{LABELS[0]}, take 2" in {m["label"] for m in body["data"]["meetings"]["nodes"]}

    asyncio.run(scenario())
    app.state.sparql_guard.close()


def test_store_memory_keeps_nothing_on_disk(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[object] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **_: served.append(app))
    monkeypatch.setattr(cli.gc, "freeze", lambda: None)
    cache = ["--cache", str(project / ".kb")]
    result = CliRunner().invoke(cli.main, ["serve", "--root", str(project), "--store", "memory", *cache, "--quiet"])
    assert result.exit_code == 0, result.output
    assert served and served[0].state.served.current.graph.kept is None  # type: ignore[attr-defined]
    assert not (project / ".kb").exists()
    result = CliRunner().invoke(cli.main, ["serve", "--root", str(project), *cache, "--quiet"])  # the default: disk
    assert result.exit_code == 0, result.output
    assert served[1].state.served.current.graph.kept is not None  # type: ignore[attr-defined]
    assert kept.current(project / ".kb") is not None
    for app in served:
        app.state.sparql_guard.close()  # type: ignore[attr-defined]


def test_kb_build_says_how_it_got_its_store(project: Path) -> None:
    runner = CliRunner()
    argv = ["build", "--root", str(project), "--cache", str(project / ".kb"), "--quiet"]
    first = runner.invoke(cli.main, argv)
    assert first.exit_code == 0 and first.output.startswith(f"built {kb_version(project)} (no kept build)")
    assert (current(project / ".kb").path / searchindex.INDEX_FOLDER).is_dir()  # searches ready from the start
    again = runner.invoke(cli.main, argv)
    assert again.exit_code == 0 and again.output.startswith(f"opened {kb_version(project)} (nothing changed)")
    save(project / "curation" / "meetings.yaml", meetings_labelled(3, broken="reference"))
    broken = runner.invoke(cli.main, argv)
    assert broken.exit_code == 2 and "curation/meetings.yaml:" in broken.output
    assert current(project / ".kb").manifest.version != kb_version(project)  # the good build stays current


def test_a_second_process_waits_for_the_lock_instead_of_building_beside(project: Path) -> None:
    cache = project / ".kb"
    with kept.locked(cache):
        process = subprocess.Popen([KB, "build", "--root", str(project), "--cache", str(cache), "--quiet"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert process.poll() is None  # waiting for the lock this process holds
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0 and out.startswith("built ")


def test_create_app_serves_a_kept_snapshot(project: Path) -> None:
    app = create_app(disk(project), serving.build(disk(project)))

    async def scenario() -> dict[str, object]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb") as client:
            return (await client.get("/health")).json()  # type: ignore[no-any-return]

    health = asyncio.run(scenario())
    assert health["version"] == kb_version(project)
    app.state.sparql_guard.close()


def test_a_state_that_is_not_kbs_own_data_is_never_run_and_only_costs_a_build(project: Path) -> None:
    first = restart.start(disk(project))
    state = build_of(first.snapshot).path / kept.STATE
    state.write_bytes(b"cos\nsystem\n(S'touch /tmp/kb-pwned'\ntR.")  # a pickle, as a hostile pull request might
    save(project / "curation" / "meetings.yaml", meetings_labelled(4))
    again = restart.start(disk(project))
    assert (again.how, again.reason) == ("built", "the change needs a full build")
    assert f"{LABELS[0]}, take 4" in labels(again.snapshot)


def test_a_new_build_is_current_before_its_state_and_a_state_never_saved_only_costs_a_build(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saving = threading.Event()
    dump = loaderstate.dump

    def slow_dump(state: loaderstate.State, path: Path) -> None:
        saving.wait(30)
        dump(state, path)

    monkeypatch.setattr(loaderstate, "dump", slow_dump)
    first = restart.start(disk(project), later=True)
    built = build_of(first.snapshot)
    assert current(project / ".kb").path == built.path and not (built.path / kept.STATE).exists()
    assert first.saving is not None and first.saving.is_alive()  # the server answers meanwhile
    saving.set()
    first.saved()
    assert loaderstate.load(built.path / kept.STATE, project) is not None

    def lost(state: loaderstate.State, path: Path) -> None:
        raise OSError("killed before the state was written")

    monkeypatch.setattr(loaderstate, "dump", lost)
    save(project / "curation" / "meetings.yaml", meetings_labelled(5))
    rebuilt = restart.start(disk(project), later=True)
    rebuilt.saved()
    assert (rebuilt.how, rebuilt.reason) == ("patched", "1 files changed")  # from the first build's state
    assert not (build_of(rebuilt.snapshot).path / kept.STATE).exists()
    save(project / "curation" / "meetings.yaml", meetings_labelled(6))
    again = restart.start(disk(project))
    assert (again.how, again.reason) == ("built", "the change needs a full build")
    assert f"{LABELS[0]}, take 6" in labels(again.snapshot)
    fresh = serving.build(Settings(root=project, store="memory"))
    assert set(again.snapshot.graph.native) == set(fresh.graph.native)
