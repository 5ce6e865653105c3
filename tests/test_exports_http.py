"""kb/serve/downloads.py over HTTP: the exports at stable URLs (each format, its ETag and 304, gzip made once a
version, Content-Disposition), /context.jsonld and /schema.graphql."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph

from kb import contracts
from kb.api.schema import sdl
from kb.cli import main
from kb.serve.downloads import EXPORTS
from tests import apikit

ROOT = apikit.ROOT  # the project's own seeds and curation
OX_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
              "trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}
MEDIA = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
         "trig": "application/trig", "nq": "application/n-quads"}
NAMED = ("trig", "nq")
RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig", "nq": "nquads"}


@pytest.fixture(scope="module", params=("oxigraph", "disk"))
def http(request: pytest.FixtureRequest) -> Iterator[apikit.Http]:
    with apikit.serve(apikit.app(ROOT, request.param)) as client:
        yield client


def quads(data: bytes, suffix: str) -> set[tuple[str, str, str, str]]:
    return {(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name))
            for q in ox.parse(data, format=OX_FORMATS[suffix])}


@cache
def cli_export(fmt: str) -> bytes:
    result = CliRunner().invoke(main, ["export", "--root", str(ROOT), "--format", fmt, "--quiet"])
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def version() -> str:
    return apikit.snapshot(ROOT, "oxigraph").version


def rdflib_count(data: bytes, suffix: str) -> int:
    """Return how many triples (quads, for a format with named graphs) rdflib reads from ``data``."""
    if suffix in NAMED:
        dataset = Dataset()
        dataset.parse(data=data, format=RDFLIB_FORMATS[suffix])
        return sum(len(graph) for graph in dataset.graphs())
    return len(Graph().parse(data=data, format=RDFLIB_FORMATS[suffix]))


@cache
def cli_count(suffix: str) -> int:
    return rdflib_count(cli_export(EXPORTS[suffix]), suffix)


# rdflib's own JSON-LD and TriG parsers call its deprecated ConjunctiveGraph/default_context internally.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning")
@pytest.mark.parametrize("suffix", EXPORTS)
def test_each_export_holds_what_kb_export_writes(http: apikit.Http, suffix: str) -> None:
    response = http.get(f"/export.{suffix}")
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{MEDIA[suffix]}; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="kb-{version()}.{suffix}"'
    served = quads(response.content, suffix)
    assert served == quads(cli_export(EXPORTS[suffix]), suffix)
    assert rdflib_count(response.content, suffix) == cli_count(suffix) == len(served)
    graphs = {q[3] for q in served}
    if suffix in NAMED:  # the default graph and each article's named graph
        assert len(graphs) == 1 + apikit.snapshot(ROOT, "oxigraph").counts["sources"]
        assert len({q[:3] for q in served}) == http.get("/health").json()["counts"]["triples"]
    else:
        assert graphs == {"DEFAULT"} and len(served) == http.get("/health").json()["counts"]["triples"]


@pytest.mark.parametrize("suffix", ["ttl", "nq"])
def test_an_export_revalidates_by_its_version_etag(http: apikit.Http, suffix: str) -> None:
    identity = {"accept-encoding": "identity"}
    tag = http.get(f"/export.{suffix}", headers=identity).headers["etag"]
    assert tag == f'"{version()}-{suffix}"'
    again = http.get(f"/export.{suffix}", headers={**identity, "if-none-match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert http.get(f"/export.{suffix}", headers={**identity, "if-none-match": '"other"'}).status_code == 200
    assert http.get(f"/export.{suffix}", headers={**identity, "if-none-match": f'"x", W/{tag}'}).status_code == 304


def test_gzip_is_made_once_a_version_and_names_its_own_etag(http: apikit.Http) -> None:
    plain = http.get("/export.nt", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    coded = http.get("/export.nt", headers={"accept-encoding": "br;q=1, gzip;q=0.5"})
    assert coded.headers["content-encoding"] == "gzip" and coded.headers["vary"] == "accept-encoding"
    assert coded.content == plain.content  # httpx decoded it
    assert int(coded.headers["content-length"]) < len(plain.content) / 4  # what went over the wire
    assert coded.headers["etag"] != plain.headers["etag"]
    snapshot = http.app.state.served.current
    made = snapshot.ready("export:nt:gzip")
    assert made is not None and made.done()
    http.get("/export.nt", headers={"accept-encoding": "gzip"})
    assert snapshot.ready("export:nt:gzip") is made  # the same bytes again, not compressed anew
    assert gzip.decompress(made.result()) == plain.content
    refused = http.get("/export.nt", headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_context_jsonld_is_the_published_file(http: apikit.Http) -> None:
    response = http.get("/context.jsonld")
    assert response.status_code == 200 and response.headers["content-type"] == "application/ld+json"
    assert response.content == contracts.path("context.jsonld").read_bytes()
    assert response.headers["access-control-allow-origin"] == "*"
    again = http.get("/context.jsonld", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_schema_graphql_is_the_served_sdl(http: apikit.Http) -> None:
    response = http.get("/schema.graphql")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert response.text == sdl() == Path(contracts.path("schema.graphql")).read_text("utf-8")
    again = http.get("/schema.graphql", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304
