"""/metrics (Prometheus text format), the JSON access log, and what ``kb serve`` says once it answers."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from kb.cli import main
from kb.cli.serving import addresses
from kb.config import Limits
from kb.serve.app import admission_of
from kb.serve.logs import ACCESS, JsonFormatter
from tests.hostile import MINI, Client, client

RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SPARQL = {"content-type": "application/sparql-query"}


def scrape(http: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Scrape /metrics and parse it with prometheus-client's own parser: {(sample, labels): value}."""
    response = http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_metrics_count_requests_refusals_cache_and_sparql_timeouts() -> None:
    http = client(Limits(sparql_timeout_seconds=1, sparql_max_concurrent=1))
    query = {"query": "{ people(first: 1) { totalCount } }"}
    assert http.post("/graphql", json=query).status_code == 200
    assert http.post("/graphql", json=query).headers["x-kb-cache"] == "hit"
    assert http.get("/people/nobody-at-all").status_code == 404
    assert http.post("/sparql", content=RUNAWAY.encode(), headers=SPARQL).status_code == 503
    admission_of(http.app).stats.refused_full += 2  # as the gate counts a full queue (tests/test_admission.py)
    found = scrape(http)
    assert found[("kb_http_requests_total", (("method", "POST"), ("route", "/graphql"), ("status", "200")))] == 2
    assert found[("kb_http_requests_total", (("method", "GET"), ("route", "/people/{id}"), ("status", "404")))] == 1
    assert found[("kb_http_request_duration_seconds_count", (("route", "/sparql"),))] == 1
    assert found[("kb_answer_cache_total", (("result", "hit"),))] == 1
    assert found[("kb_answer_cache_total", (("result", "miss"),))] == 1
    assert found[("kb_sparql_refused_total", (("reason", "timeout"),))] == 1
    assert found[("kb_requests_refused_total", (("reason", "full"),))] == 2
    assert found[("kb_requests_admitted_total", ())] == 4
    assert found[("kb_requests_executing", ())] == 0
    version = http.app.state.served.current.version
    assert found[("kb_served_version_info", (("version", version),))] == 1
    assert 0 <= found[("kb_served_version_age_seconds", ())] < 600
    assert ("kb_reload_failures_total", ()) not in found  # no live reload: no reload series


def test_each_app_has_a_registry_of_its_own() -> None:
    first, second = client(), client()
    first.get("/health")
    assert ("kb_http_requests_total", (("method", "GET"), ("route", "/health"), ("status", "200"))) in scrape(first)
    assert not any(name == "kb_http_requests_total" and ("route", "/health") in labels
                   for name, labels in scrape(second))


def test_json_access_log_has_one_object_per_request(caplog: pytest.LogCaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    http = client()
    # another test's logging.config may have disabled the loggers existing then, or stopped their propagation
    monkeypatch.setattr(ACCESS, "disabled", False)
    monkeypatch.setattr(ACCESS, "handlers", [caplog.handler])
    monkeypatch.setattr(ACCESS, "propagate", False)  # caplog's handler on the root would see it a second time
    with caplog.at_level(logging.INFO, logger="kb.access"):
        http.get("/health")
    [record] = [r for r in caplog.records if r.name == "kb.access"]
    line = json.loads(JsonFormatter().format(record))
    assert {k: line[k] for k in ("method", "path", "status")} == {"method": "GET", "path": "/health", "status": 200}
    assert line["version"] == http.app.state.served.current.version
    assert line["duration_ms"] >= 0 and "client" in line and line["level"] == "INFO"


def test_serve_prints_every_address_once_it_answers_and_logs_json(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stderr = (tmp_path / "stderr").open("w+")
    server = subprocess.Popen([sys.executable, "-c", "from kb.cli import main; main()", "serve", "--root", str(MINI),
                               "--port", str(port), "--log-format", "json"],
                              stdout=subprocess.PIPE, stderr=stderr, env={**os.environ, "KB_PRODUCTION": ""})
    try:
        deadline = time.monotonic() + 120
        while "kb is ready" not in (tmp_path / "stderr").read_text() and time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "stderr").read_text()
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
        time.sleep(0.3)
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
        stderr.close()
    text = (tmp_path / "stderr").read_text()
    for line in addresses(f"http://127.0.0.1:{port}", production=False):
        assert line in text
    requests = [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"path"' in line]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [("GET", "/health", 200)]
    assert out == b""


def test_serve_help_names_the_pages_and_metrics() -> None:
    text = " ".join(CliRunner().invoke(main, ["serve", "--help"]).output.split())
    assert "the pages on /" in text and "/metrics" in text and "--log-format [text|json]" in text
    assert not any("GraphiQL" in line for line in addresses("http://h:1", production=True))
