"""The fast YAML path must read every file exactly as ruamel (the reference) does, or decline to read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import generate
from kb.errors import CurationError, CurationErrors
from kb.load import fastyaml, loader, pipeline
from tests.conftest import ROOT


def reference(text: str) -> loader.RawFile:
    return loader.parse_text(text, "f.yaml", "people")


def assert_same_as_ruamel(text: str) -> None:
    fast = fastyaml.parse(text, loader.MAX_DEPTH)
    assert fast is not None, text
    expected = reference(text)
    assert fast[0] == expected.records
    assert [_base(v) for v in _leaves(fast[0])] == [_base(v) for v in _leaves(expected.records)]
    assert fastyaml.positions(text) == expected.positions
    assert fast[1] == {k: v for k, v in expected.positions.items() if len(k) == 1}


def _base(value: Any) -> type:
    """ruamel keeps a few scalars as subclasses (ScalarInt for 0, LiteralScalarString): compare the base type."""
    return next(t for t in (bool, int, float, str, type(None)) if isinstance(value, t))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def test_fast_path_reads_generated_curation_like_ruamel(tmp_path: Path) -> None:
    generate.write(tmp_path, facts=60)
    files = list(loader.curation_files(tmp_path / "curation"))
    assert len(files) == 10
    for path in files:
        assert_same_as_ruamel(path.read_text("utf-8"))


def test_fast_path_reads_real_curation_like_ruamel() -> None:
    files = list(loader.curation_files(ROOT / "curation"))
    for path in files:
        text = path.read_text("utf-8")
        if fastyaml.parse(text, loader.MAX_DEPTH) is not None:
            assert_same_as_ruamel(text)


@pytest.mark.parametrize("text", [
    "- a: 5\n  b: -12\n  c: 0\n  d: 2023-07-13\n  e: ''\n  f:\n  g: ~\n  h: null\n",
    "- a: true\n  b: False\n  c: yes\n  d: on\n  e: 'no'\n  f: \"x\\ty\"\n",
    "- a: |\n    two\n    lines\n  b: >-\n    folded\n    text\n  c: plain # comment\n",
    "- [a, 'b', 3]\n- {a: [1, 2], b: {c: d}}\n-\n  - x\n",
    "- id: w\n  name: Wang Yi 王毅 🙂\n  aliases: [“Mr. Wang”, Zoë]\n",
    "- 2: a\n  true: b\n  2023-07-13: c\n  ~: d\n",
    "[]\n",
])
def test_fast_path_matches_ruamel_on_edge_cases(text: str) -> None:
    assert_same_as_ruamel(text)


@pytest.mark.parametrize("text", [
    "- a: &x 1\n  b: *x\n", "- !!str 5\n", "%YAML 1.2\n---\n- a\n", "- <<: {a: 1}\n",
    "- a: 1\n  a: 2\n", "- 1: a\n  true: b\n",
    "- 010\n", "- 1_000\n", "- 1.5\n", "- 1e3\n", "- .inf\n", "- 0x1F\n", "- +3\n", "- 2023-02-30\n",
    "- 2023-07-13T10:00:00Z\n", "- ? [a]\n    : b\n", "- a\r\n", "a: 1\n",
    "", "- [a\n", "- a\n---\n- b\n", "- x: a & b and *c* !\n",
    "- " + "[" * 20 + "]" * 20 + "\n", "- a\x07\n", "- a\x7f\n", "- \ufffe\n", '- "a\x1b"\n',
    "- |#\n", "- a: >-#\n",  # a comment glued to a block scalar header: libyaml takes it, ruamel refuses
])
def test_fast_path_declines_what_it_is_not_sure_of(text: str) -> None:
    assert fastyaml.parse(text, loader.MAX_DEPTH) is None


_keys = st.sampled_from(["id", "name", "a", "b", "true", "1", "x y", "é"])
_scalars = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["yes", "no", "on", "null", "~", "true", "010", "1:30", "-5", "0", "42", "2023-07-13",
                     "2023-7-1", "3.0", "a: b", "- x", "#", "'", '"', "x # y", "@", "`", "|", "> x"]),
)


def _render(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines += [f"{pad}{key}:", *_render(item, indent + 2)]
            else:
                lines.append(f"{pad}{key}: {_flow(item)}")
        return lines
    lines = []
    for item in value:
        inner = _render(item, indent + 2) if isinstance(item, dict | list) and item else [pad + "  " + _flow(item)]
        lines += [f"{pad}- {inner[0].lstrip()}", *inner[1:]]
    return lines


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return value  # raw text: may be plain, may be YAML-significant, may be invalid


_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_documents, min_size=1, max_size=3))
def test_fast_path_agrees_with_ruamel_or_declines(records: list[Any]) -> None:
    text = "\n".join(_render(records, 0)) + "\n"
    fast = fastyaml.parse(text, loader.MAX_DEPTH)
    try:
        reference(text)
    except CurationError:
        assert fast is None, f"fast path read a file ruamel rejects:\n{text}"
        return
    if fast is not None:
        assert_same_as_ruamel(text)


def test_errors_are_identical_with_and_without_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate.write(tmp_path, facts=40)
    people = tmp_path / "curation" / "people" / "0000.yaml"
    text = people.read_text("utf-8")
    broken = text.replace("name:", "nmae:", 1).replace("person-000002", "Person 2", 1)
    people.write_text(broken.replace("country: country-", "country: nowhere-", 1), "utf-8")
    with pytest.raises(CurationErrors) as fast:
        pipeline.load(tmp_path)
    monkeypatch.setattr(fastyaml, "parse", lambda text, depth: None)
    with pytest.raises(CurationErrors) as slow:
        pipeline.load(tmp_path)
    assert [str(e) for e in fast.value] == [str(e) for e in slow.value]
    assert len(fast.value) >= 3
