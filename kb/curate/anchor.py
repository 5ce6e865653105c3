"""Fill and repair evidence offsets from quotes, so curators never count characters.

Works on ruamel round-trip documents and writes only the lines that changed (:mod:`kb.curate.yamltext`), so
blank lines, comments, key order and quoting survive ``kb anchor --fix`` byte for byte.

Placing a quote, as Hypothesis re-anchors an annotation: exact matches first, then (only when re-anchoring)
approximate ones, each candidate scored on how alike the quote, the words before it (prefix) and after it
(suffix) are, and how near it is to the old offset. An entry that cannot be placed with confidence is
reported as an orphan, never guessed.

Where the context comes from: the article as it was when the offsets were last right.
``curation/sources.yaml`` records the sha256 of that version, so its bytes are found in git (see
:mod:`kb.curate.revisions`), and this module takes the prefix and suffix around the old offsets in it. The
YAML stays free of copied context that would itself go stale, and an entry whose old offsets did not hold its
quote even then has no trustworthy context: it is placed only by an exact match, never fuzzily.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

from kb.curate import revisions, yamltext
from kb.errors import AnchorError
from kb.load import loader
from kb.load.loader import RawKnowledgeBase
from kb.load.match import Match, search, similarity
from kb.model.sources import CONTEXT_CHARS, Article, context, locate, occurrences
from kb.progress import Progress, silent

# Hypothesis's weights (client/src/annotator/anchoring/match-quote.ts): the quote counts most, then context.
QUOTE_WEIGHT, PREFIX_WEIGHT, SUFFIX_WEIGHT, POSITION_WEIGHT = 50.0, 20.0, 20.0, 2.0
# Stricter than Hypothesis (which allows half the quote to differ and always takes the best candidate):
# a knowledge base must not move evidence onto words that do not say the same thing.
MAX_ERROR_RATE = 0.25
MIN_SCORE = 0.75
MIN_MARGIN = 0.05


@dataclass(frozen=True)
class Context:
    """What is known of where a quote was: its old offset and the words around it in the old article."""

    position: int | None = None
    prefix: str = ""
    suffix: str = ""

    @property
    def known(self) -> bool:
        return bool(self.prefix or self.suffix)


@dataclass(frozen=True)
class Placement:
    """Where a quote now is, how well it matched (0..1), and the article's words there."""

    start: int
    end: int
    score: float
    words: str
    errors: int = 0


@dataclass(frozen=True)
class Change:
    """What ``--fix`` did to one evidence entry (``start``/``end`` None for an orphan).

    ``new_quote`` is set when a fuzzy re-anchoring replaced the quote with the article's new words.
    """

    line: int
    source: str
    quote: str
    old: tuple[int | None, int | None]
    new: tuple[int | None, int | None]
    reason: str
    new_quote: str | None = None

    @property
    def orphan(self) -> bool:
        return self.new[0] is None


def _round_trip() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def evidence_nodes(node: Any) -> Iterator[CommentedMap]:
    """Yield every mapping that looks like an evidence entry (has ``source`` and ``quote``)."""
    if isinstance(node, CommentedMap):
        if "source" in node and "quote" in node:
            yield node
        for value in node.values():
            yield from evidence_nodes(value)
    elif isinstance(node, CommentedSeq):
        for item in node:
            yield from evidence_nodes(item)


def score(text: str, match: Match, quote: str, where: Context) -> float:
    """Return a candidate's score in 0..1: quote, prefix, suffix and position similarity, weighted.

    Parts with nothing to compare (no prefix at the start of an article, no old offset) are left out of both
    the sum and the maximum, so they neither help nor hurt.
    """
    parts = [(QUOTE_WEIGHT, 1.0 - match.errors / len(quote))]
    if where.prefix:
        before = text[max(0, match.start - len(where.prefix)) : match.start]
        parts.append((PREFIX_WEIGHT, similarity(before, where.prefix)))
    if where.suffix:
        after = text[match.end : match.end + len(where.suffix)]
        parts.append((SUFFIX_WEIGHT, similarity(after, where.suffix)))
    if where.position is not None and text:
        parts.append((POSITION_WEIGHT, 1.0 - min(1.0, abs(match.start - where.position) / len(text))))
    return sum(w * s for w, s in parts) / sum(w for w, _ in parts)


def _placement(text: str, match: Match, value: float) -> Placement:
    return Placement(match.start, match.end, value, text[match.start : match.end], match.errors)


def _closest(text: str, quote: str) -> str:
    """Describe the passage most like ``quote``, to help a curator fix an orphan by hand."""
    matches = search(text, quote, len(quote) // 2)
    if not matches:
        return ""
    best = min(matches, key=lambda m: m.errors)
    alike = round(100 * (1 - best.errors / len(quote)))
    passage = text[best.start : best.end][:80]
    return f"; closest passage ({alike}% alike) at {best.start}..{best.end}: {passage!r}"


def _ranked(text: str, matches: list[Match], quote: str, where: Context) -> list[tuple[float, Match]]:
    """Return the matches with their scores, best first (the earliest first among equals)."""
    return sorted(((score(text, m, quote, where), m) for m in matches), key=lambda p: (-p[0], p[1].start))


def reanchor(text: str, quote: str, where: Context, fuzzy: bool) -> Placement:
    """Return where ``quote`` now is in ``text``.

    Exact matches first: one is taken as it is; several are told apart by their score (context, then nearness
    to the old offset). With ``fuzzy`` and no exact match, approximate matches (at most a quarter of the quote
    edited) are scored, and the best is taken only if it scores at least ``MIN_SCORE`` and beats the next by
    ``MIN_MARGIN``. Raises AnchorError (the orphan's reason) otherwise.
    """
    exact = search(text, quote, 0)
    if len(exact) == 1:
        return _placement(text, exact[0], 1.0)
    if exact:
        if where.position is None and not where.known:
            starts = ", ".join(str(m.start) for m in exact)
            raise AnchorError(f"quote occurs {len(exact)} times (at {starts}); add occurrence: N or near: "
                              "'<longer passage>'")
        ranked = _ranked(text, exact, quote, where)
        if ranked[0][0] == ranked[1][0]:
            first, second = ranked[0][1].start, ranked[1][1].start
            raise AnchorError(f"quote occurs {len(exact)} times and two fit equally well (at {first} "
                              f"and {second}); add occurrence: N or near: '<longer passage>'")
        return _placement(text, ranked[0][1], 1.0)
    if not fuzzy:
        raise AnchorError("quote not found in the article" + _closest(text, quote))
    candidates = search(text, quote, int(len(quote) * MAX_ERROR_RATE))
    if not candidates:
        raise AnchorError("quote not found in the article, not even approximately" + _closest(text, quote))
    ranked = _ranked(text, candidates, quote, where)
    best_score, best = ranked[0]
    if best_score < MIN_SCORE:
        raise AnchorError(f"best approximate match scores {best_score:.2f} < {MIN_SCORE} "
                          f"at {best.start}..{best.end}: {text[best.start:best.end][:80]!r}")
    if len(ranked) > 1 and best_score - ranked[1][0] < MIN_MARGIN:
        runner = ranked[1][1]
        raise AnchorError(f"approximate matches at {best.start} and {runner.start} score alike "
                          f"({best_score:.2f}, {ranked[1][0]:.2f}); re-anchor by hand")
    return _placement(text, best, best_score)


def old_context(old_text: str | None, quote: str, old: tuple[Any, Any]) -> Context:
    """Return the context of an evidence entry from the article it was anchored in.

    Prefix and suffix come only when the old offsets held the quote in ``old_text``; otherwise only the old
    start (if any) is known.
    """
    start, end = old
    if not isinstance(start, int) or not isinstance(end, int):
        return Context()
    if old_text is not None and old_text[start:end] == quote:
        prefix, suffix = context(old_text, start, end, CONTEXT_CHARS)
        return Context(start, prefix, suffix)
    return Context(start)


def place_entry(text: str, quote: str, where: Context, occurrence: int | None, near: str | None) -> Placement:
    """Place one evidence entry. Raises AnchorError for an orphan.

    Filling (no trustworthy old context): ``occurrence``/``near`` as the curator wrote them, else an exact,
    unambiguous match (the one nearest the old offset among repeats). Re-anchoring after the article changed
    (old context known): ``near`` if it still resolves, else :func:`reanchor` with fuzzy matching. There
    ``occurrence`` is ignored: it counted repeats in the old text, and an inserted repeat would silently
    shift it.
    """
    if near is not None or (occurrence is not None and not where.known):
        try:
            start, end = locate(text, quote, None if where.known else occurrence, near)
            return Placement(start, end, 1.0, quote)
        except AnchorError:
            if not where.known:
                raise
    return reanchor(text, quote, where, fuzzy=where.known)


def fix_document(document: Any, texts: Mapping[str, str],
                 previous: Mapping[str, str | None] | None = None) -> list[Change]:
    """Set ``start``/``end`` of every evidence entry in ``document`` in place. Returns what changed or failed.

    ``texts`` are the articles now, by source id; ``previous`` has the sources that changed since their
    offsets were last right, each with its text as it was then, or None when that version is lost. A fuzzy
    re-anchoring also sets the quote to the article's new words, so that ``article[start:end] == quote``
    holds again; the change lists the old and new quote.
    """
    changes: list[Change] = []
    previous = previous or {}
    for node in evidence_nodes(document):
        source, quote = str(node["source"]), str(node["quote"])
        old = (node.get("start"), node.get("end"))
        text = texts.get(source)
        line = node.lc.line + 1
        if text is None:
            changes.append(Change(line, source, quote, old, (None, None), f"unknown source {source!r}"))
            continue
        if isinstance(old[0], int) and isinstance(old[1], int) and text[old[0] : old[1]] == quote:
            continue
        where = old_context(previous.get(source), quote, old)
        # The article changed but the version the offsets were made for is lost: neither the old offset nor
        # an occurrence count says which repeat of a quote is meant any more, so only a unique match or near:
        # moves it.
        blind = source in previous and previous[source] is None and old[0] is not None
        try:
            if blind:
                placed = place_entry(text, quote, Context(), None, node.get("near"))
            else:
                placed = place_entry(text, quote, where, node.get("occurrence"), node.get("near"))
        except AnchorError as exc:
            lost = " (the article changed and the version its offsets were made for is not in git)"
            changes.append(Change(line, source, quote, old, (None, None), f"{exc}{lost if blind else ''}"))
            continue
        _set_offsets(node, placed.start, placed.end)
        reason = "filled" if old[0] is None else "moved"
        new_quote = None
        if placed.words != quote:
            new_quote = placed.words
            node["quote"] = _same_style(node["quote"], placed.words)
            reason = f"re-anchored fuzzily (score {placed.score:.2f}), quote now the article's words"
            if node.get("near") is not None and node["near"] not in text:
                reason += "; its near: is no longer in the article, update it"
        if node.get("occurrence") is not None:
            node["occurrence"] = occurrences(text, placed.words).index(placed.start) + 1
        changes.append(Change(line, source, quote, old, (placed.start, placed.end), reason, new_quote))
    return changes


def _same_style(old: Any, new: str) -> Any:
    """Return ``new`` in the scalar style (quoted, literal, folded) ``old`` was written in."""
    return type(old)(new) if isinstance(old, ScalarString) else new


def _set_offsets(node: CommentedMap, start: int, end: int) -> None:
    if "start" in node:
        node["start"], node["end"] = start, end
        return
    position = list(node.keys()).index("quote") + 1
    node.insert(position, "start", start)
    node.insert(position + 1, "end", end)


def fix_text(yaml_text: str, texts: Mapping[str, str],
             previous: Mapping[str, str | None] | None = None) -> tuple[str, list[Change]]:
    """Return ``yaml_text`` with every evidence offset filled or moved, and the list of changes."""
    yaml = _round_trip()
    document = yaml.load(yaml_text)
    before = [(node, dict(node)) for node in evidence_nodes(document)]
    changes = fix_document(document, texts, previous)
    if not any(not c.orphan for c in changes):
        return yaml_text, changes
    edited = [(node, values) for node, values in before if dict(node) != values
              or any(type(values[k]) is not type(v) for k, v in node.items() if k in values)]
    intended = yamltext.plain(document)
    kept = yamltext.apply(yaml_text, edited, lambda text: yamltext.plain(_round_trip().load(text)) == intended)
    if kept is not None:
        return kept, changes
    out = io.StringIO()  # a value yamltext cannot write in place: ruamel's dump, comments kept
    yaml.dump(document, out)
    return out.getvalue(), changes


@dataclass(frozen=True)
class SourceText:
    """One source's article now, and as it was when its offsets were last right (None: unchanged or lost)."""

    id: str
    file: str
    recorded_sha256: str
    now: Article
    before: str | None
    recorded_in: str = "curation/sources.yaml"

    @property
    def changed(self) -> bool:
        return self.now.sha256 != self.recorded_sha256


def source_texts(raw: RawKnowledgeBase, lookup: Callable[[str, str], bytes | None]) -> dict[str, SourceText]:
    """Return every source whose article is readable, by id, without full validation.

    For an article whose sha256 differs from the one recorded, ``lookup(path, sha256)`` finds the recorded
    version's bytes (``kb.curate.revisions.version_with_sha256`` in :func:`read_sources`); those become
    ``before``.
    """
    found: dict[str, SourceText] = {}
    for file in raw.files:
        if file.kind != "sources":
            continue
        for record in file.records:
            if not isinstance(record, dict) or record.get("file") not in raw.articles:
                continue
            article = raw.articles[record["file"]]
            recorded = str(record.get("sha256", ""))
            before = None
            if recorded != article.sha256:
                data = lookup(f"seeds/{article.file}", recorded)
                before = data.decode("utf-8", "replace") if data is not None else None
            rid = str(record.get("id"))
            found[rid] = SourceText(rid, article.file, recorded, article, before, file.path)
    return found


def read_sources(root: Path) -> dict[str, SourceText]:
    """Return each source of the project at ``root`` with its article now and, if it changed, as recorded
    (found in git), without full validation."""
    return source_texts(loader.read(root), partial(revisions.version_with_sha256, root))


def fix_files(root: Path, sources: Mapping[str, SourceText], write: bool,
              progress: Progress = silent) -> Iterator[tuple[str, Change]]:
    """Fill or move the evidence offsets of every file in ``root``/curation; yield each change with its file
    (relative to ``root``).

    With ``write``, a file that changed is replaced once its changes have been yielded; without, none is.
    Reports "anchoring" (files done of all) to ``progress``.
    """
    texts = {sid: s.now.text for sid, s in sources.items()}
    previous = {sid: s.before for sid, s in sources.items() if s.changed}
    files = list(loader.curation_files(root / "curation"))
    for done, path in enumerate(files, 1):
        progress("anchoring", done - 1, len(files))
        before = path.read_text("utf-8")
        after, changes = fix_text(before, texts, previous)
        display = path.relative_to(root).as_posix()
        for change in changes:
            yield display, change
        if after != before and write:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(after, "utf-8")
            tmp.replace(path)  # atomic: a crash never leaves a half-written file
        progress("anchoring", done, len(files))
