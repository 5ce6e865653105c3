from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from kb.errors import CurationErrors
from kb.load import pipeline
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import KINDS
from tests.conftest import MINI_ARTICLE, write_project

SHA = hashlib.sha256(MINI_ARTICLE.encode()).hexdigest()
SOURCES = f"""\
- id: src
  file: a.txt
  sha256: {SHA}
  publisher: Test Wire
  headline: Blinken meets Wang
"""
PEOPLE = """\
- id: blinken
  name: Antony Blinken
- id: wang
  name: Wang Yi
  aliases: [Mr. Wang]
"""
MEETINGS = """\
- id: m1
  kind: talks
  status: held
  label: Blinken–Wang talks
  participants: [blinken, wang]
  date: {value: 2023-07-13, as_written: Thursday, resolved_against: src}
  evidence:
  - source: src
    quote: Blinken met Wang Yi in Jakarta
    start: 0
    end: 30
"""


def project(tmp_path: Path, **overrides: str) -> Path:
    files = {"sources.yaml": SOURCES, "people.yaml": PEOPLE, "meetings.yaml": MEETINGS}
    files.update({f"{k}.yaml": v for k, v in overrides.items()})
    return write_project(tmp_path, files)


def errors_of(root: Path) -> list[str]:
    with pytest.raises(CurationErrors) as info:
        pipeline.load(root)
    return [str(e) for e in info.value]


def test_load_clean_project_counts_records(tmp_path: Path) -> None:
    kb = pipeline.load(project(tmp_path))
    assert kb.counts()["people"] == 2
    assert kb.counts()["meetings"] == 1
    assert kb.articles["src"].text == MINI_ARTICLE
    assert str(kb.locations["wang"]) == "curation/people.yaml:3:3"


def test_unknown_field_is_reported_with_line_and_field(tmp_path: Path) -> None:
    people = PEOPLE + "  nickname: W\n"  # on wang, the last record
    assert errors_of(project(tmp_path, people=people)) == [
        "curation/people.yaml:6:3: nickname: unknown field"
    ]


def test_missing_field_and_wrong_type(tmp_path: Path) -> None:
    people = PEOPLE + "- id: x\n- id: y\n  name: 5\n"
    assert errors_of(project(tmp_path, people=people))[:2] == [
        "curation/people.yaml:6:3: name: required field is missing",
        "curation/people.yaml:8:3: name: Input should be a valid string, got the number 5; quote it",
    ]


def test_duplicate_id_across_files_names_the_first(tmp_path: Path) -> None:
    places = "- id: wang\n  name: Wang\n  kind: city\n"
    assert errors_of(project(tmp_path, places=places)) == [
        "curation/places.yaml:1:3: id: duplicate id 'wang', first defined at curation/people.yaml:3:3"
    ]


def test_dangling_and_wrong_kind_references(tmp_path: Path) -> None:
    meetings = MEETINGS.replace("participants: [blinken, wang]", "participants: [blinken, qin]\n  place: wang")
    found = errors_of(project(tmp_path, meetings=meetings))
    assert "curation/meetings.yaml:5:27: participants.1: unknown id 'qin'" in found
    assert "curation/meetings.yaml:6:3: place: 'wang' is one of people, expected one of places" in found


def test_offsets_must_reproduce_the_quote(tmp_path: Path) -> None:
    meetings = MEETINGS.replace("end: 30", "end: 29")
    [error] = errors_of(project(tmp_path, meetings=meetings))
    assert error.startswith("curation/meetings.yaml:9:5: evidence.0.quote: article text at 0..29 is")


def test_missing_offsets_point_to_anchor(tmp_path: Path) -> None:
    meetings = MEETINGS.replace("    start: 0\n    end: 30\n", "")
    [error] = errors_of(project(tmp_path, meetings=meetings))
    assert "run kb anchor --fix" in error and error.startswith("curation/meetings.yaml:8:5: evidence.0:")


def test_offsets_out_of_range(tmp_path: Path) -> None:
    meetings = MEETINGS.replace("end: 30", "end: 9999")
    [error] = errors_of(project(tmp_path, meetings=meetings))
    assert "out of range" in error


def test_changed_article_is_reported_by_sha256(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "seeds" / "a.txt").write_text(MINI_ARTICLE + "more", "utf-8")
    [error] = errors_of(root)
    assert error.startswith("curation/sources.yaml:3:3: sha256: seeds/a.txt changed: its sha256 is")


def test_invalid_dates_and_durations(tmp_path: Path) -> None:
    meetings = MEETINGS.replace("2023-07-13", "2023-02-30") + "  duration:\n  - value: 90 minutes\n    evidence:\n" \
        "    - {source: src, quote: Blinken, start: 0, end: 7}\n"
    found = errors_of(project(tmp_path, meetings=meetings))
    assert any("date.value" in e and "day is out of range" in e for e in found)
    assert any("duration.0.value" in e and "ISO 8601" in e for e in found)


def test_repeated_version_is_an_error(tmp_path: Path) -> None:
    version = "  - value: candid\n    evidence:\n    - {source: src, quote: Blinken, start: 0, end: 7}\n"
    meetings = MEETINGS + "  characterization:\n" + version + version
    [error] = errors_of(project(tmp_path, meetings=meetings))
    assert "characterization.1" in error and "repeats an earlier one" in error


def test_dispute_groups_facts_of_one_kind(tmp_path: Path) -> None:
    disputes = "- id: d\n  label: D\n  facts: [m1, wang]\n"
    found = errors_of(project(tmp_path, disputes=disputes))
    assert any("facts.1: 'wang' is one of people" in e for e in found)


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    people = "- id: x\n- id: Bad Id\n  name: y\n"
    meetings = MEETINGS.replace("end: 30", "end: 29")
    assert len(errors_of(project(tmp_path, people=people, meetings=meetings))) >= 3


def test_real_curation_is_valid(knowledge_base: object) -> None:
    assert isinstance(knowledge_base, KnowledgeBase)
    assert knowledge_base.counts()["sources"] == 5


def test_the_knowledge_base_has_one_field_per_kind_in_the_order_of_kinds() -> None:
    names = [f.name for f in dataclasses.fields(KnowledgeBase)]
    assert names[: len(KINDS)] == list(KINDS)
    assert list(KnowledgeBase().by_kind()) == list(KINDS)
    with pytest.raises(KeyError):
        KnowledgeBase().of("articles")


def test_the_generic_accessors_see_the_typed_fields(tmp_path: Path) -> None:
    kb = pipeline.load(project(tmp_path))
    assert kb.of("people") is kb.people and kb.by_kind()["meetings"] is kb.meetings
    assert kb.counts() == {kind: len(records) for kind, records in kb.by_kind().items()}
    copy = kb.copy()
    copy.remove("wang")
    assert "wang" not in copy.people and "wang" not in copy.kinds and "wang" in kb.people
    copy.add(kb.people["wang"])
    assert copy.people["wang"] is kb.people["wang"] and copy.kinds["wang"] == "people"


def test_end_date_before_start_date(tmp_path: Path) -> None:
    meetings = MEETINGS.replace("  evidence:", "  end_date: {value: 2023-06}\n  evidence:", 1)
    [error] = errors_of(project(tmp_path, meetings=meetings))
    assert error == "curation/meetings.yaml:7:3: end_date: 2023-06 is before date 2023-07-13"
    same_month = MEETINGS.replace("  evidence:", "  end_date: {value: 2023-07}\n  evidence:", 1)
    assert pipeline.load(project(tmp_path / "b", meetings=same_month)).counts()["meetings"] == 1
