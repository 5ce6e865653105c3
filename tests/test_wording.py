"""Wording on the pages: a title relative to someone else is quoted beside the office it stands for, curator
notes name articles rather than seed numbers, counts are singular for one."""

from __future__ import annotations

import re

from kb.api.types.person import relative
from kb.load import pipeline
from kb.load.validate import walk
from kb.model.records import KINDS
from tests import apikit
from tests.conftest import ROOT

SEED_NUMBER = re.compile(r"\(\d{3}\)|\b[Aa]rticle \d{3}\b|\bseed \d{3}\b")


def test_a_relative_title_is_shown_as_worded_beside_its_office() -> None:
    with apikit.serve(apikit.app(ROOT, "oxigraph")) as http:
        answer = http.post("/graphql", json={"query": '{ person(id: "lloyd-austin") { titles } }'}).json()
        office = "US counterpart of the Chinese Defense Minister"
        assert answer["data"]["person"]["titles"] == [f"“his US counterpart” ({office})"]
        home = http.get("/").text
    meta = re.search(r'href="/people/lloyd-austin">Lloyd Austin</a>\s*<div class="meta">([^<]*)<', home)
    assert meta is not None and meta.group(1).startswith("“his US counterpart” (US counterpart of")
    assert "2 meetings · 0 statements" in meta.group(1)


def test_relative_wordings_are_told_from_offices() -> None:
    assert relative("his US counterpart") and relative("Her deputy")
    assert not relative("Chinese Defense Minister") and not relative("the Secretary")


def test_curator_notes_name_articles_not_seed_numbers() -> None:
    kb = pipeline.load(ROOT)
    notes = [(rid, value) for kind in KINDS for rid, record in kb.of(kind).items()
             for key, value in walk(record) if key[-1:] == ("note",) and isinstance(value, str)]
    notes += [(rid, record.note) for kind in KINDS for rid, record in kb.of(kind).items()
              if isinstance(getattr(record, "note", None), str)]
    assert notes
    assert [(rid, note) for rid, note in notes if SEED_NUMBER.search(note)] == []
