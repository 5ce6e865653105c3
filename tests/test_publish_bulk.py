"""kb publish --bulk (kb/publish/bulk.py) and its Virtuoso driver (kb/publish/isql.py): the files hold exactly what
kb publish sends over the Graph Store Protocol, Virtuoso's bulk loader puts them into a real Virtuoso, and the API
served from it answers as the embedded store does."""

from __future__ import annotations

import asyncio
import gzip
import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kb import cli
from kb.config import Settings
from kb.errors import LoadError
from kb.graph import builder
from kb.load import pipeline
from kb.load.version import kb_version
from kb.publish import bulk, isql
from kb.publish import catalogue as catalogues
from kb.publish import gsp as publish
from kb.serve import remote
from kb.serve.app import create_app
from tests.apikit import API_FIXTURE, serve
from tests.kbs import BASE, MINI, knowledge_base
from tests.test_api_backends import QUERIES
from tests.test_api_docs import VARIABLES
from tests.test_publish import FakeGraphStore
from tests.virtuoso import PASSWORD, USER, Virtuoso, free_port

Graphs = dict[str, set[ox.Triple]]


def read_dump(paths: list[Path]) -> Graphs:
    """Return the triples of every graph in gzip N-Quads ``paths``, by graph IRI."""
    graphs: Graphs = {}
    for path in paths:
        for quad in ox.parse(gzip.decompress(path.read_bytes()), ox.RdfFormat.N_QUADS):
            assert isinstance(quad.graph_name, ox.NamedNode), "kb publish writes named graphs only"
            graphs.setdefault(quad.graph_name.value, set()).add(ox.Triple(quad.subject, quad.predicate, quad.object))
    return graphs


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under ``folder`` (hidden ones too) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("which", ["mini", "real"])
def test_write_holds_the_graphs_gsp_publish_sends(which: str, tmp_path: Path) -> None:
    kb = knowledge_base(which)
    fake = FakeGraphStore()
    with publish.GraphStoreClient("http://graph-store.test/", transport=httpx.MockTransport(fake)) as client:
        sent = publish.publish_knowledge_base(kb, "v1", BASE, client)
    dump = bulk.write(kb, "v1", BASE, tmp_path / "dump", part_bytes=20_000)
    assert len(dump.files) > 3  # small parts: the graphs are spread over several files
    data = read_dump(dump.files)
    assert data == {g: t for g, t in fake.graphs.items() if g != catalogues.catalogue_iri(BASE)}
    assert read_dump([dump.catalogue]) == {catalogues.catalogue_iri(BASE): fake.graphs[catalogues.catalogue_iri(BASE)]}
    assert (dump.graph, dump.triples, len(dump.named_graphs)) == (sent.graph, sent.triples, sent.named_graphs)
    assert dump.quads == sum(map(len, data.values()))
    assert sorted(p.name for p in (tmp_path / "dump").iterdir()) == sorted([*(p.name for p in dump.files),
                                                                          bulk.CATALOGUE_FILE])


def test_write_replaces_a_previous_dump_and_its_extra_parts(tmp_path: Path) -> None:
    kb = knowledge_base("mini")
    folder = tmp_path / "dump"
    many = bulk.write(kb, "v1", BASE, folder, part_bytes=20_000)
    one = bulk.write(kb, "v2", BASE, folder)
    assert len(many.files) > 1 and [p.name for p in one.files] == ["graphs-0000.nq.gz"]
    assert sorted(p.name for p in folder.iterdir()) == ["catalogue.nq.gz", "graphs-0000.nq.gz"]
    assert read_dump(one.files).keys() == {one.graph, *one.named_graphs}  # v2's version graph only


def test_write_leaves_the_folder_as_it_was_on_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = knowledge_base("mini")
    folder = tmp_path / "dump"
    bulk.write(kb, "v1", BASE, folder, part_bytes=20_000)
    before = snapshot(folder)
    real = builder.graphs

    def failing(*args: Any, **kwargs: Any) -> Iterator[tuple[bytes, dict[str, bytes]]]:
        pieces = real(*args, **kwargs)
        yield next(pieces)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(builder, "graphs", failing)
    with pytest.raises(OSError, match="No space left"):
        bulk.write(kb, "v2", BASE, folder, part_bytes=20_000)
    assert snapshot(folder) == before  # no half-written file, no staging folder left behind


def test_kb_publish_bulk_validates_first_and_prints_the_loader_commands(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(MINI, broken)
    people = broken / "curation" / "people.yaml"
    people.write_text(people.read_text("utf-8") + "- id: Not An Id\n", "utf-8")
    result = CliRunner().invoke(cli.main, ["publish", "--root", str(broken), "--bulk", str(tmp_path / "out")])
    assert result.exit_code == 2 and "people.yaml:" in result.output
    assert not (tmp_path / "out").exists()

    result = CliRunner().invoke(cli.main, ["publish", "--root", str(MINI), "--bulk", str(tmp_path / "out"),
                                           "--base-iri", BASE])
    assert result.exit_code == 0, result.output
    graph = catalogues.version_graph(BASE, kb_version(MINI))
    assert f"ld_dir('{tmp_path / 'out'}', 'graphs-*.nq.gz', '{graph}');" in result.output
    out = result.output
    assert out.index("'graphs-*.nq.gz'") < out.index("rdf_loader_run") < out.index("'catalogue.nq.gz'")  # last
    assert out.index("graphs-0000.nq.gz | oxigraph load") < out.index("catalogue.nq.gz | oxigraph load")
    for engine in ("rdf_loader_run();", "oxigraph load", "tdb2.tdbloader", "QLever"):
        assert engine in result.output


def test_kb_publish_needs_exactly_one_destination(tmp_path: Path) -> None:
    for argv in ([], ["--endpoint", "http://x/", "--bulk", str(tmp_path)], ["--endpoint", "http://x/",
                                                                           "--virtuoso-isql", "h:1"]):
        result = CliRunner().invoke(cli.main, ["publish", "--root", str(MINI), *argv])
        assert result.exit_code == 64 and "--bulk" in result.output, argv  # a usage error (EX_USAGE)


# -- into a real Virtuoso ------------------------------------------------------------------------------------

def kb_publish_bulk(server: Virtuoso, root: Path, base: str, folder: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, [
        "publish", "--root", str(root), "--bulk", str(folder), "--base-iri", base,
        "--virtuoso-isql", f"127.0.0.1:{server.sql_port}", "--user", USER, "--password", PASSWORD, *extra,
    ])
    return result.exit_code, result.output


def remote_graph(server: Virtuoso, graph: str) -> set[tuple[str, ...]]:
    rows = asyncio.run(remote.RemoteBackend(server.sparql).select(
        f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")).rows
    return {tuple(row[v].value for v in ("s", "p", "o")) for row in rows}


def local_graph(root: Path, base: str, graph: str | None) -> set[tuple[str, ...]]:
    from kb.graph import store

    native = store.build_store(pipeline.load(root), base, "oxigraph").native
    name = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
    return {(q.subject.value, q.predicate.value, q.object.value)
            for q in native.quads_for_pattern(None, None, None, name)}


def graphql_answers(app: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with serve(app) as http:
        for name, query in QUERIES.items():
            given = VARIABLES.search(query)
            found[name] = http.post("/graphql", json={"query": query,
                                                      "variables": json.loads(given.group(1)) if given else {}}).json()
    return found


def test_bulk_loaded_virtuoso_answers_graphql_as_the_embedded_store(virtuoso_server: Virtuoso, tmp_path: Path) -> None:
    base = "https://bulk-api.example.org/"  # a catalogue of its own: other tests' stay as they are
    code, output = kb_publish_bulk(virtuoso_server, API_FIXTURE, base, tmp_path / "dump")
    assert code == 0, output
    assert "loaded into Virtuoso" in output and "removed 0 old version(s)" in output
    assert_answers_as_embedded(virtuoso_server.sparql, base, tmp_path)


def assert_answers_as_embedded(endpoint: str, base: str, tmp_path: Path) -> None:
    """Assert that kb's API over the SPARQL ``endpoint`` (the API fixture published under ``base``) serves the
    fixture's version and answers every documented GraphQL query as the embedded store does."""
    remote_app = create_app(Settings(root=tmp_path / "no-data", store=f"sparql+{endpoint}", base_iri=base,
                                     production=True))
    local_app = create_app(Settings(root=API_FIXTURE, store="oxigraph", base_iri=base, production=True))
    assert remote_app.state.served.current.version == kb_version(API_FIXTURE)
    remote_answers, local_answers = graphql_answers(remote_app), graphql_answers(local_app)
    assert any("errors" not in answer for answer in local_answers.values())
    for name in QUERIES:
        if "search(" in QUERIES[name]:  # a remote store searches by the slow path, the embedded one its index
            continue
        assert remote_answers[name] == local_answers[name], name


def test_bulk_republish_replaces_article_graphs_and_the_catalogue(virtuoso_server: Virtuoso, tmp_path: Path) -> None:
    base = "https://bulk-republish.example.org/"
    root = tmp_path / "kb"
    shutil.copytree(MINI, root)
    credentials = ("--user", USER, "--password", PASSWORD)
    first = CliRunner().invoke(cli.main, ["publish", "--root", str(root), "--endpoint", virtuoso_server.graph_store,
                                          "--base-iri", base, *credentials])  # over HTTP first: both routes agree
    assert first.exit_code == 0, first.output
    statements = root / "curation" / "statements.yaml"
    versions = [remote.read_catalogue(virtuoso_server.sparql, base)]
    original = statements.read_text("utf-8")
    for edit in (" (edited)", " (edited twice)"):  # a statement's label: in its article's graph
        statements.write_text(original.replace("military contacts restart", f"military contacts restart{edit}", 1),
                              "utf-8")
        code, output = kb_publish_bulk(virtuoso_server, root, base, tmp_path / "dump")
        assert code == 0, output
        versions.append(remote.read_catalogue(virtuoso_server.sparql, base))
    v1, v2, v3 = versions
    assert v3.version == kb_version(root) and len({v1.version, v2.version, v3.version}) == 3
    assert "removed 1 old version(s)" in output
    assert remote_graph(virtuoso_server, v1.graph) == set()  # two publishes ago: deleted
    assert len(remote_graph(virtuoso_server, v2.graph)) == v2.counts["triples"]  # kept for running replicas
    replaces = remote_graph(virtuoso_server, catalogues.catalogue_iri(base))
    assert {(s, o) for s, p, o in replaces if p == catalogues.DCTERMS_REPLACES} == {(v3.graph, v2.graph)}
    assert remote_graph(virtuoso_server, v3.graph) == local_graph(root, base, None)
    article = f"{base}graph/bloomberg-jakarta"
    assert remote_graph(virtuoso_server, article) == local_graph(root, base, article)  # no stale label left
    assert any(o.endswith("(edited twice)") for _, _, o in remote_graph(virtuoso_server, article))


def test_bulk_load_names_a_file_virtuoso_refuses(virtuoso_server: Virtuoso, tmp_path: Path) -> None:
    sql = isql.Isql(f"127.0.0.1:{virtuoso_server.sql_port}", USER, PASSWORD)
    bad = tmp_path / "graphs-0000.nq.gz"
    bad.write_bytes(gzip.compress(b'<http://a/s> <http://a/p> "ok" <http://a/g> .\nnot n-quads at all\n'))
    refused = f"{bad}: Virtuoso's bulk loader refused it: .*NQuads RDF loader, line [0-9]+: syntax error"
    with pytest.raises(LoadError, match=refused):
        sql.load([str(bad)], "http://a/g")
    missing = tmp_path / "elsewhere" / "graphs-0000.nq.gz"
    with pytest.raises(LoadError, match=f"{missing}: Virtuoso never read it: .*DirsAllowed"):
        sql.load([str(missing)], "http://a/g")


def test_kb_publish_bulk_with_a_wrong_password_fails_before_writing(virtuoso_server: Virtuoso, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, [
        "publish", "--root", str(MINI), "--bulk", str(tmp_path / "dump"), "--base-iri", "https://never.example.org/",
        "--virtuoso-isql", f"127.0.0.1:{virtuoso_server.sql_port}", "--user", USER, "--password", "wrong"])
    assert result.exit_code == 1 and "Bad login" in result.output
    assert not (tmp_path / "dump").exists()


def test_gsp_republish_into_virtuoso_sends_only_changed_article_graphs(virtuoso_server: Virtuoso,
                                                                      tmp_path: Path) -> None:
    base = "https://gsp-republish.example.org/"
    root = tmp_path / "kb"
    shutil.copytree(MINI, root)
    argv = ["publish", "--root", str(root), "--endpoint", virtuoso_server.graph_store, "--base-iri", base,
            "--user", USER, "--password", PASSWORD]
    names = [f"{base}graph/{source}" for source in pipeline.load(root).sources]
    articles, before = len(names), {name: local_graph(root, base, name) for name in names}
    outputs = []
    for edit in ("", "", " (edited)"):  # first publish, an unchanged re-publish, one statement's label edited
        statements = root / "curation" / "statements.yaml"
        statements.write_text(statements.read_text("utf-8").replace("military contacts restart",
                                                                    f"military contacts restart{edit}", 1), "utf-8")
        result = CliRunner().invoke(cli.main, argv)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert f"({articles} sent, 0 unchanged skipped)" in outputs[0]
    assert f"(0 sent, {articles} unchanged skipped)" in outputs[1]
    after = {name: local_graph(root, base, name) for name in names}
    changed = sum(before[name] != after[name] for name in names)
    assert 0 < changed < articles  # the statement is cited in some articles, not all
    assert f"({changed} sent, {articles - changed} unchanged skipped)" in outputs[2]
    for name in names:
        assert remote_graph(virtuoso_server, name) == after[name], name
    assert remote.read_catalogue(virtuoso_server.sparql, base).version == kb_version(root)


def test_bulk_republish_loads_only_changed_article_graphs_and_drops_removed_ones(virtuoso_server: Virtuoso,
                                                                                  tmp_path: Path) -> None:
    from benchmarks import generate

    base = "https://bulk-skip.example.org/"
    sql = isql.Isql(f"127.0.0.1:{virtuoso_server.sql_port}", USER, PASSWORD)
    big, small = tmp_path / "big", tmp_path / "small"
    generate.write(big, facts=200)
    generate.write(small, facts=120)
    names = [f"{base}graph/{source}" for source in pipeline.load(big).sources]
    outputs = []
    for root in (big, big, small):  # first load, an unchanged re-publish, two articles removed
        code, output = kb_publish_bulk(virtuoso_server, root, base, tmp_path / "dump")
        assert code == 0, output
        outputs.append(output)
        for source in pipeline.load(root).sources:  # skipped graphs kept, loaded ones replaced whole
            name = f"{base}graph/{source}"
            assert remote_graph(virtuoso_server, name) == local_graph(root, base, name), name
    assert f"the rest in {len(names)} of {len(names)} article graph(s), 0 unchanged skipped" in outputs[0]
    assert f"the rest in 0 of {len(names)} article graph(s), {len(names)} unchanged skipped" in outputs[1]
    assert "2 article graph(s) of removed articles" in outputs[2]
    kept = [f"{base}graph/{source}" for source in pipeline.load(small).sources]
    assert sorted(set(names) - set(kept)) == [f"{base}graph/src-000003", f"{base}graph/src-000004"]
    for name in names:
        assert remote_graph(virtuoso_server, name) == (local_graph(small, base, name) if name in kept else set()), name
    recorded = sql.digests(base)
    assert recorded.keys() == set(kept)
    sql.forget_digests(base, kept[:1])  # what a load does before clearing a changed graph
    assert sql.digests(base).keys() == set(kept[1:])
    assert remote.read_catalogue(virtuoso_server.sparql, base).version == kb_version(small)  # readers see no change


def test_switch_catalogue_holds_thousands_of_digests(virtuoso_server: Virtuoso) -> None:
    """A catalogue of 3,000 article graphs (100k facts have 2,500) switched in, then one with a tenth of its
    digests changed and one graph gone: one update of them all failed on Virtuoso ("generated SQL text has
    exceeded 10000 lines")."""
    base = "https://switch.example.org/"
    sql = isql.Isql(f"127.0.0.1:{virtuoso_server.sql_port}", USER, PASSWORD)
    dataset = catalogues.catalogue_iri(base)
    for version, graphs in (("one", 3000), ("two", 2999)):
        lines = [f"<{dataset}> <{catalogues.VOID}subset> <{base}version/{version}> ."]
        lines += [f'<{base}graph/{n}> <{catalogues.KB_DIGEST}> "{version if n % 10 == 0 else "same"}-{n}" .'
                  for n in range(graphs)]
        ntriples = ("\n".join(lines) + "\n").encode()
        sql.switch_catalogue(base, ntriples)
        expected = {(t.subject.value, t.predicate.value, t.object.value)
                    for t in ox.parse(ntriples, ox.RdfFormat.N_TRIPLES)}
        assert remote_graph(virtuoso_server, dataset) == expected, version
    assert sql.digests(base)[f"{base}graph/10"] == "two-10"


# -- into Oxigraph Server, with the commands kb prints ---------------------------------------------------------

def test_printed_oxigraph_commands_load_a_store_the_api_answers_from(tmp_path: Path) -> None:
    """The Oxigraph lines ``kb publish --bulk`` prints, run as printed (``oxigraph`` is the CLI of Oxigraph
    Server, the ``oxigraph`` wheel of the test extra), make a store that Oxigraph Server serves and kb's API
    answers from as from its embedded store."""
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    base = "https://bulk-oxigraph.example.org/"
    result = CliRunner().invoke(cli.main, ["publish", "--root", str(API_FIXTURE), "--bulk", str(tmp_path / "dump"),
                                           "--base-iri", base])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("Oxigraph:"))
    commands = [lines[first].removeprefix("Oxigraph:"), lines[first + 1]]
    assert all("oxigraph load" in command for command in commands)
    for command in commands:
        shell = command.replace("oxigraph load --location DB",
                                f"{shlex.quote(oxigraph)} load --location {tmp_path / 'db'}")
        assert shell != command
        done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], check=False, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    port = free_port()
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen([oxigraph, "serve-read-only", "--location", str(tmp_path / "db"),
                                   "--bind", f"127.0.0.1:{port}"], stdout=log, stderr=log)
    try:
        endpoint = f"http://127.0.0.1:{port}/query"
        wait_for(endpoint)
        assert_answers_as_embedded(endpoint, base, tmp_path)
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for(endpoint: str, seconds: float = 20.0) -> None:
    """Wait until the SPARQL endpoint answers (raises the last error after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(endpoint, params={"query": "ASK {}"}, timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
