"""Evidence through the API: for every span returned, its code-point and UTF-16 offsets select its quote."""

from __future__ import annotations

from pathlib import Path

from kb.load import pipeline
from kb.load.validate import walk
from kb.model.records import Evidence
from kb.model.sources import utf16_offset
from tests import apikit
from tests.apikit import EVIDENCE, Api

api = apikit.fixture()

EVERYTHING = f"""{{
  sources(first: 100) {{ nodes {{ id credits {{ why {{ evidence {{ {EVIDENCE} }} }} }} facts(first: 100) {{ nodes {{
    evidence {{ {EVIDENCE} }}
    links {{ why {{ evidence {{ {EVIDENCE} }} }} }}
    ... on Meeting {{ duration {{ versions {{ evidence {{ {EVIDENCE} }} }} }}
                      characterization {{ versions {{ evidence {{ {EVIDENCE} }} }} }}
                      outcomes {{ evidence {{ {EVIDENCE} }} }} }}
    ... on Role {{ titles {{ evidence {{ {EVIDENCE} }} }} }} }} }} }} }}
  people(first: 100) {{ nodes {{ evidence {{ {EVIDENCE} }} }} }}
  organizations(first: 100) {{ nodes {{ evidence {{ {EVIDENCE} }} }} }}
  places(first: 100) {{ nodes {{ evidence {{ {EVIDENCE} }} }} }}
}}"""


def _evidence_in(root: Path) -> set[tuple[str, int, int]]:
    kb = pipeline.load(root)
    found: set[tuple[str, int, int]] = set()
    for records in kb.by_kind().values():
        for record in records.values():
            for _, value in walk(record):
                if isinstance(value, Evidence):
                    assert value.start is not None and value.end is not None
                    found.add((f"source/{value.source}", value.start, value.end))
    return found


def _spans(payload: object, found: set[tuple[str, int, int]]) -> None:
    if isinstance(payload, list):
        for item in payload:
            _spans(item, found)
    elif isinstance(payload, dict):
        if "utf16Start" in payload:
            found.add((payload["source"]["id"], payload["start"], payload["end"]))
        for value in payload.values():
            _spans(value, found)


def test_every_evidence_of_the_knowledge_base_selects_its_quote(api: Api) -> None:
    data = api.data(EVERYTHING)  # Api.data checks each evidence: code points, UTF-16, prefix and suffix
    assert apikit.check_evidence(data, api.texts()) >= 20
    returned: set[tuple[str, int, int]] = set()
    _spans(data, returned)
    assert returned == _evidence_in(apikit.API_FIXTURE)


def test_utf16_offsets_count_astral_characters_twice(api: Api) -> None:
    data = api.data(EVERYTHING)
    texts = api.texts()
    spans: list[dict[str, object]] = []

    def collect(payload: object) -> None:
        if isinstance(payload, list):
            for item in payload:
                collect(item)
        elif isinstance(payload, dict):
            if "utf16Start" in payload:
                spans.append(payload)
            for value in payload.values():
                collect(value)

    collect(data)
    for span in spans:
        text = texts[span["source"]["id"]]  # type: ignore[index]
        assert span["utf16Start"] == utf16_offset(text, span["start"])  # type: ignore[arg-type]
        assert span["utf16End"] == utf16_offset(text, span["end"])  # type: ignore[arg-type]
    assert any(s["utf16Start"] != s["start"] for s in spans)
    # a quote holding astral characters is longer in UTF-16 than in code points
    assert any(s["utf16End"] - s["utf16Start"] > s["end"] - s["start"] for s in spans)  # type: ignore[operator]


def test_evidence_of_a_zwj_sequence_quote(api: Api) -> None:
    role = api.data(f'{{ role(id: "qin-gang-foreign-minister") {{ evidence {{ {EVIDENCE} }} }} }}')["role"]
    (evidence,) = role["evidence"]
    assert evidence["quote"] == "Qin Gang, the foreign minister 🧑‍💼"
    # 🧑 and 💼 are beyond the BMP, the joiner is not: 3 code points, 5 UTF-16 units
    assert evidence["utf16End"] - evidence["utf16Start"] == evidence["end"] - evidence["start"] + 2
    assert evidence["id"].startswith("evidence/qin-gang-foreign-minister/title/1/")


def test_evidence_prefix_and_suffix_surround_the_quote(api: Api) -> None:
    meeting = api.data(f'{{ meeting(id: "blinken-qin-call") {{ evidence {{ {EVIDENCE} }} }} }}')["meeting"]
    (evidence,) = meeting["evidence"]
    assert evidence["prefix"].endswith("health reasons.\n")
    assert evidence["suffix"] == ".\n"  # the article ends 2 characters after the quote
