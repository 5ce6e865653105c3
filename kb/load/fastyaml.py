"""A fast path for reading curation YAML: libyaml's C parser with ruamel's YAML 1.2 meaning of plain
scalars.

ruamel's pure-Python round-trip loader (the reference, in :mod:`kb.load.loader`) is too slow for a large
knowledge base (docs/performance.md). libyaml (PyYAML's ``CParser``) composes the same node tree in C. This
module turns that tree into the same plain values ruamel gives, and the same line and column of each value,
but only for files it is sure about: it answers ``None`` (use ruamel) for anything unusual — anchors,
aliases, tags, directives, merge keys, duplicate keys, complex keys, line breaks YAML 1.1 and 1.2 disagree
on, numbers other than plain integers, invalid dates — and for every file libyaml rejects, so error messages
always come from ruamel. YAML 1.1 and 1.2 differ in what ``yes``, ``on``, ``010`` or ``1:30`` mean;
resolving plain scalars here (never with PyYAML's 1.1 resolver) keeps ruamel's 1.2 meaning.
"""

from __future__ import annotations

import re
from typing import Any

from yaml import YAMLError
from yaml.cyaml import CParser
from yaml.nodes import MappingNode, Node, ScalarNode

from kb.model import dates

PathKey = tuple[str | int, ...]
Positions = dict[PathKey, tuple[int, int]]

# Our own tags: a node whose tag is none of these was tagged explicitly in the file.
_PLAIN, _QUOTED, _MAP, _SEQ = "kb:plain", "kb:quoted", "kb:map", "kb:seq"

# Anchors (&), aliases (*) and tags (!) start a token; so do directives (%) and merge keys (<<). A quote that
# merely contains one of these characters after a space costs speed (ruamel reads that file), never
# correctness.
# libyaml also takes a comment glued to a block scalar's header (``|#``), which ruamel (rightly) refuses.
_UNUSUAL = re.compile(r"(?:^|[\s\[\]{},:])[&*!]|^%|<<|[|>][-+0-9]*#|[\r\x85\u2028\u2029\ufeff]", re.MULTILINE)
_INT = re.compile(r"-?[1-9][0-9]*|0")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Plain scalars ruamel 1.2 reads as something other than a string (numbers, timestamps, ``=``): left to
# ruamel.
_OTHER = re.compile(
    r"""[-+]?(?:0b[0-1_]+|0o?[0-7_]+|[0-9_]+|0x[0-9a-fA-F_]+)
    |[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9].*)?|=""",
    re.VERBOSE,
)
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


class _Unsure(Exception):
    """The file holds something this fast path does not read exactly as ruamel would."""


class _Composer(CParser):  # type: ignore[misc]
    """libyaml's composer with our tags instead of PyYAML's YAML 1.1 resolver."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _QUOTED
        return _MAP if kind is MappingNode else _SEQ

    def descend_resolver(self, *args: Any) -> None:
        """Path resolvers are not used."""

    def ascend_resolver(self, *args: Any) -> None:
        """Path resolvers are not used."""


def _scalar(node: Node) -> Any:
    value: str = node.value
    if node.tag == _QUOTED:
        return value
    if node.tag != _PLAIN:
        raise _Unsure
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if value[:1] in "-+0123456789.=":
        if _INT.fullmatch(value):
            return int(value)
        if _DATE.fullmatch(value):
            # A YAML 1.2 timestamp ruamel keeps as text (kb.load.loader._TextDates); one off the calendar is
            # left to ruamel, so its reading is the one the models then refuse.
            if dates.problem(value) is not None:
                raise _Unsure
            return value
        if _OTHER.fullmatch(value):
            raise _Unsure
    return value


class _Converter:
    """Node tree -> plain values, recording positions of everything (``full``) or of each record only."""

    def __init__(self, max_depth: int, full: bool) -> None:
        self.max_depth = max_depth
        self.full = full
        self.positions: Positions = {}

    def value(self, node: Node, key: PathKey, depth: int) -> Any:
        if depth > self.max_depth:
            raise _Unsure  # ruamel reports the depth error
        if node.tag == _MAP:
            return self.mapping(node, key, depth)
        if node.tag == _SEQ:
            items: list[Any] = []
            for index, item in enumerate(node.value):
                child = (*key, index)
                if self.full or depth == 0:
                    self.positions[child] = (item.start_mark.line + 1, item.start_mark.column + 1)
                items.append(self.value(item, child, depth + 1))
            return items
        return _scalar(node)

    def mapping(self, node: Node, key: PathKey, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Unsure
            raw = _scalar(key_node)
            name = str(raw)
            if name in out or raw in seen:
                raise _Unsure  # a duplicate key (ruamel names it; to Python, 1 and true are one key)
            seen.add(raw)
            child = (*key, name)
            if self.full:
                self.positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[name] = self.value(value_node, child, depth + 1)
        return out


def _compose(text: str) -> Node | None:
    if _UNUSUAL.search(text):
        raise _Unsure
    parser = _Composer(text.encode("utf-8"))
    try:
        return parser.get_single_node()
    except YAMLError:
        raise _Unsure from None
    finally:
        parser.dispose()


def parse(text: str, max_depth: int) -> tuple[list[Any], Positions] | None:
    """Return a curation file's records and each record's position, or None when ruamel must read it.

    None also for a file whose top level is not a list, or nested deeper than ``max_depth``, so that
    ruamel's path reports the error.
    """
    try:
        node = _compose(text)
        if node is None or node.tag != _SEQ:
            return None
        converter = _Converter(max_depth, full=False)
        records = converter.value(node, (), 0)
    except (_Unsure, RecursionError):
        return None
    return records, converter.positions


def positions(text: str) -> Positions:
    """Return the line and column of every value of a file that :func:`parse` read (same keys as ruamel's)."""
    node = _compose(text)
    converter = _Converter(max_depth=10_000, full=True)
    converter.value(node, (), 0)
    return converter.positions
