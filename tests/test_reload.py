from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import httpx
import pytest
import uvicorn

from kb.config import Settings
from kb.errors import ReloadError
from kb.graph import snapshot as snapshots
from kb.graph.snapshot import Snapshot
from kb.load.version import kb_version
from kb.model.knowledge_base import KnowledgeBase
from kb.serve import served as serving
from kb.serve.app import create_app
from kb.serve.reload import Reloader, attach, create_live_app
from kb.serve.served import Served
from tests.apikit import worker_requests
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "mini"
MEETINGS = (FIXTURE / "curation" / "meetings.yaml").read_text("utf-8")
LABELS = re.findall(r"(?m)^  label: (.+)$", MEETINGS)
FIELDS = " ".join(f'm{i}: meeting(id: "{mid}") {{ label }}'
                  for i, mid in enumerate(re.findall(r"(?m)^- id: (.+)$", MEETINGS)))
QUERY = f"{{ {FIELDS} }}"
CLIENTS = 4
WAIT_SECONDS = 60


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    for folder in ("seeds", "curation"):
        shutil.copytree(FIXTURE / folder, tmp_path / folder)
    return tmp_path


def save(path: Path, text: str) -> None:
    """Save as careful editors do: write a temporary file beside it, then rename over the old one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent.parent, prefix=".save-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def meetings_labelled(n: int, *, broken: str = "") -> str:
    """The meetings file with every label ending in ", take n"; ``broken`` adds a mistake a curator could make."""
    text = MEETINGS
    for label in LABELS:
        text = text.replace(f"  label: {label}\n", f"  label: {label}, take {n}\n")
    if broken == "reference":
        text = text.replace("participants: [", "participants: [nobody-at-all, ", 1)
    elif broken == "syntax":
        text = text.replace("  kind: ", "  kind: [", 1)
    return text


@contextmanager
def live_server(root: Path) -> Iterator[tuple[str, Reloader]]:
    """A real uvicorn server on 127.0.0.1 (a free port) serving the app with live reloading."""
    settings = Settings(root=root)
    app = create_live_app(settings)
    reloader = app.state.reloader
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", reloader
    finally:
        server.should_exit = True
        thread.join(WAIT_SECONDS)
        sock.close()


def wait_for(client: httpx.Client, check: Callable[[dict[str, Any]], bool]) -> tuple[dict[str, Any], float]:
    """Poll /health until ``check`` holds; return the health body and the seconds it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < WAIT_SECONDS:
        body = client.get("/health").json()
        if check(body):
            return body, time.perf_counter() - started
        time.sleep(0.005)
    raise AssertionError(f"/health never satisfied the check; last: {body}")


class Clients:
    """Threads sending GraphQL queries as fast as they can, recording every answer or failure."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.answers: list[tuple[str, tuple[str, ...]]] = []
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(CLIENTS)]

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    response = client.post("/graphql", json={"query": QUERY})
                    body = response.json()
                    if response.status_code != 200 or body.get("errors"):
                        self.failures.append(f"{response.status_code}: {response.text[:200]}")
                        continue
                    labels = tuple(m["label"] for m in body["data"].values())
                    self.answers.append((response.headers["x-kb-version"], labels))
                except Exception as exc:  # noqa: BLE001 -- any failed request is what this test exists to catch
                    self.failures.append(repr(exc))

    def wait_for(self, version: str, after: int = 0) -> None:
        """Wait until an answer after the first ``after`` names ``version`` (or a client failed)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not any(v == version for v, _ in self.answers[after:]) and not self.failures:
            assert time.monotonic() < deadline, f"no client was answered from {version}"
            time.sleep(0.005)

    def __enter__(self) -> Self:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(WAIT_SECONDS)


def test_reload_swaps_under_concurrent_queries_and_survives_broken_edits(project: Path) -> None:
    meetings = project / "curation" / "meetings.yaml"
    save(meetings, meetings_labelled(0))
    expected = {kb_version(project): 0}
    latencies: list[float] = []
    with live_server(project) as (url, _), httpx.Client(base_url=url, timeout=30) as client, Clients(url) as clients:
        assert client.get("/health").json()["version"] in expected

        def publish(n: int) -> None:
            save(meetings, meetings_labelled(n))
            version = kb_version(project)
            expected[version] = n
            body, seconds = wait_for(client, lambda b: b["version"] == version)
            assert body["status"] == "ok" and body["reload"]["ok"] is True
            assert body["reload"]["last_build"] == "patched"  # the served store, patched between requests
            latencies.append(seconds)
            clients.wait_for(version)  # progress, not time: the clients have been answered from it

        def break_it(kind: str, served: str) -> dict[str, Any]:
            save(meetings, meetings_labelled(99, broken=kind))
            body, _ = wait_for(client, lambda b: b["status"] == "stale")
            assert body["version"] == served == body["reload"]["serving"]
            answered = len(clients.answers)
            clients.wait_for(served, after=answered)  # queries keep being answered from the last good version
            return body

        publish(1)
        served = client.get("/health").json()["version"]
        stale = break_it("reference", served)
        assert any(re.match(r"curation/meetings\.yaml:\d+:\d+: participants\.0: unknown id 'nobody-at-all'", e)
                   for e in stale["reload"]["errors"]), stale
        publish(2)  # the next good save recovers
        stale = break_it("syntax", client.get("/health").json()["version"])
        assert re.match(r"curation/meetings\.yaml:\d+:\d+: YAML syntax", stale["reload"]["errors"][0]), stale
        publish(3)
    assert clients.failures == []
    seen = {version for version, _ in clients.answers}
    assert seen <= set(expected), "a response named a version no good save produced"
    assert {version for version, n in expected.items() if n > 0} <= seen  # each good save was answered from
    for version, labels in clients.answers:  # every answer is wholly the version it names
        n = expected[version]
        assert labels == tuple(f"{label}, take {n}" for label in LABELS)
    print(f"\nsave -> served (s): {', '.join(f'{s:.3f}' for s in latencies)}; {len(clients.answers)} answers")


def _served(root: Path) -> tuple[Served, Settings]:
    settings = Settings(root=root, store="memory")
    return Served(serving.build(settings)), settings


def test_reloader_does_nothing_when_the_files_are_unchanged(project: Path) -> None:
    served, settings = _served(project)
    first = served.current
    reloader = Reloader(served, settings)
    assert reloader.rebuild() is False and served.current is first and reloader.status.ok


def test_reloader_keeps_the_last_good_snapshot_and_recovers(project: Path) -> None:
    served, settings = _served(project)
    first = served.current
    reloader = Reloader(served, settings)
    meetings = project / "curation" / "meetings.yaml"
    save(meetings, meetings_labelled(1, broken="reference"))
    assert reloader.rebuild() is False and served.current is first
    assert reloader.status.ok is False and reloader.status.rejected == kb_version(project)
    assert reloader.health()["status"] == "stale"
    save(meetings, MEETINGS)  # undoing the edit brings back the version being served: all well again
    assert reloader.rebuild() is False and reloader.status.ok and "status" not in reloader.health()
    save(meetings, meetings_labelled(2))
    assert reloader.rebuild() is True and served.current.version == kb_version(project)
    assert reloader.status.reloads == 1 and reloader.status.last_build_seconds is not None
    assert reloader.status.last_build == "built"  # rdflib's store is never patched: a new one is built


def test_reloader_builds_again_when_files_change_during_a_build(project: Path) -> None:
    served, settings = _served(project)
    meetings = project / "curation" / "meetings.yaml"
    calls: list[str] = []

    def make(kb: KnowledgeBase, settings: Settings, version: str) -> Snapshot:
        calls.append(version)
        if len(calls) == 1:  # an editor saves again while the first build runs
            save(meetings, meetings_labelled(2))
        return snapshots.from_knowledge_base(kb, settings, version)

    save(meetings, meetings_labelled(1))
    reloader = Reloader(served, settings, make)
    assert reloader.rebuild() is True
    assert len(calls) == 2 and served.current.version == calls[1] == kb_version(project)
    labels = {str(o) for o in served.current.graph.graph.objects(None, None) if str(o).endswith(", take 2")}
    assert labels and not any(str(o).endswith(", take 1") for o in served.current.graph.graph.objects(None, None))


def test_reload_refuses_a_remote_store(project: Path) -> None:
    served, settings = _served(project)
    app = create_app(settings, served.current)
    with pytest.raises(ReloadError, match="embedded store"):
        attach(app, Settings(root=project, store="sparql+http://127.0.0.1:1/sparql"))


def test_patched_reload_serves_the_quads_a_full_build_makes(project: Path) -> None:
    settings = Settings(root=project)  # the embedded Oxigraph store, which an edit patches
    app = create_live_app(settings)
    reloader: Reloader = app.state.reloader
    store_before = app.state.served.current.graph
    meetings = project / "curation" / "meetings.yaml"
    for n in (1, 2):
        save(meetings, meetings_labelled(n))
        assert reloader.rebuild() is True and reloader.status.last_build == "patched"
        current = app.state.served.current
        assert current.graph is store_before and current.version == kb_version(project)
        fresh = serving.build(settings)
        assert set(current.graph.native) == set(fresh.graph.native)
        assert current.counts == fresh.counts
    (project / "seeds" / next(p.name for p in (project / "seeds").iterdir())).write_bytes(b"an article changed\n")
    reloader.rebuild()  # an article changed: offsets no longer hold, nothing is patched or served
    assert reloader.status.ok is False and app.state.served.current.graph is store_before


def test_a_patch_waits_for_requests_in_flight_and_holds_new_ones(project: Path) -> None:
    served = Served(serving.build(Settings(root=project, store="memory")))
    events: list[str] = []

    async def scenario() -> None:
        await served.enter()
        events.append("request 1 in")

        def patch() -> None:
            with served.exclusively():
                events.append("patch")
                time.sleep(0.05)

        writer = asyncio.get_running_loop().run_in_executor(None, patch)
        await asyncio.sleep(0.05)
        assert events == ["request 1 in"]  # the patch waits for the request in flight
        events.append("request 1 out")
        served.leave()
        while "patch" not in events:
            await asyncio.sleep(0.001)
        await served.enter()  # waits for the patch to end
        events.append("request 2 in")
        served.leave()
        await writer

    asyncio.run(scenario())
    assert events == ["request 1 in", "request 1 out", "patch", "request 2 in"]


def test_sparql_workers_take_an_edit_as_a_patch(project: Path) -> None:
    app = create_live_app(Settings(root=project))
    reloader: Reloader = app.state.reloader
    guard = app.state.sparql_guard
    sent = worker_requests(guard)
    query = {"query": "SELECT ?l { ?m a <https://schema.org/Event> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }"}
    accept = {"accept": "application/sparql-results+json"}

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb") as client:
            before = await client.post("/sparql", data=query, headers=accept)
            assert before.status_code == 200 and ", take" not in before.text
            save(project / "curation" / "meetings.yaml", meetings_labelled(1))
            assert reloader.rebuild() is True and reloader.status.last_build == "patched"  # no request in flight
            after = await client.post("/sparql", data=query, headers=accept)
            assert after.status_code == 200 and after.headers["x-kb-version"] == kb_version(project)
            assert {f"{label}, take 1" for label in LABELS} <= set(after.text.split('"'))

    try:
        asyncio.run(scenario())
        assert (sent["load"], sent["patch"]) == (1, 1)  # the worker was patched, not loaded again
    finally:
        guard.close()


def test_search_after_a_patched_edit_finds_the_new_label_not_the_old(project: Path) -> None:
    """The embedded stores search through a text index kept per snapshot: a patch serves a new snapshot, so
    the edit is found at once, though the store itself is the same object."""
    app = create_live_app(Settings(root=project))
    reloader: Reloader = app.state.reloader
    query = "query($t: String!) { search(text: $t) { totalCount nodes { text } } }"

    def hits(text: str) -> list[str]:
        body = asyncio.run(_post(app, {"query": query, "variables": {"t": text}}))
        return [node["text"] for node in body["data"]["search"]["nodes"]]

    assert f"{LABELS[0]}, take 1" not in hits("take 1")  # (the words "take" and "1…" are in the articles)
    assert LABELS[0] in hits(LABELS[0])
    save(project / "curation" / "meetings.yaml", meetings_labelled(1))
    assert reloader.rebuild() is True and reloader.status.last_build == "patched"
    assert f"{LABELS[0]}, take 1" in hits("take 1")
    assert LABELS[0] not in hits(LABELS[0])  # the old label is gone from the index with its snapshot


async def _post(app: Any, payload: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb") as client:
        response = await client.post("/graphql", json=payload)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def test_a_patch_does_not_wait_for_the_pages_warm_up(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The who-met-whom picture's query takes seconds at 100k facts: an edit must not queue behind it."""
    release, warming = threading.Event(), threading.Event()

    async def slow_warm(self: Any, snapshot: Snapshot) -> None:
        warming.set()
        await asyncio.to_thread(release.wait, 60)

    monkeypatch.setattr("kb.pages.handlers.Pages.warm", slow_warm)
    app = create_live_app(Settings(root=project, store="memory"))
    reloader: Reloader = app.state.reloader

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            assert await asyncio.to_thread(warming.wait, 60)  # the warm-up of the version served is under way
            save(project / "curation" / "meetings.yaml", meetings_labelled(5))
            try:
                assert await reloader.reload() is True
                assert reloader.status.ok and reloader.status.last_build == "patched", reloader.status
            finally:
                release.set()

    asyncio.run(scenario())
    app.state.sparql_guard.close()
