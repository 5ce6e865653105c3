"""A changed article, told as a reviewer reads a change: the changed passages, not the evidence that moved.

When an article is corrected, every span after the correction moves with the text. Those spans keep their
quotes: reviewing them one by one says nothing, so they are counted on the article ("41 spans shifted, quotes
unchanged"). What does need a look is listed: the text that changed, as a unified diff of its lines, and each
span whose quote changed with it (a fuzzy re-anchoring), as "quote changed: old → new". Pure.
"""

from __future__ import annotations

import difflib

from kb.curate.changes import ArticleChange, Move, Quote, QuoteChange, RecordChange

CONTEXT_LINES = 1
# Below this, an old and a new quote of one fact are two different pieces of evidence, not one edited.
MIN_ALIKE = 0.6


def text_diff(old: str, new: str) -> list[str]:
    """Return the unified diff of two versions of an article, without file headers: hunks of changed lines
    with one line of context."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), n=CONTEXT_LINES, lineterm="")
    return [line for line in lines if not line.startswith(("---", "+++"))]


def article_change(source: str, label: str, location: str, old: tuple[str, str], new: tuple[str, str]) -> ArticleChange:
    """Return the change of one article from ``old`` to ``new``, each (sha256, text)."""
    return ArticleChange(source, label, location, old[0], new[0], text_diff(old[1], new[1]))


def pair_quotes(removed: list[Quote], added: list[Quote]) -> tuple[list[Quote], list[Quote], list[QuoteChange]]:
    """Pair each removed span with the most alike added one of the same version and source.

    Returns the spans left removed, left added, and the pairs as quote changes (most alike first taken).
    """
    candidates = sorted(
        ((difflib.SequenceMatcher(None, a.quote, b.quote).ratio(), i, j)
         for i, a in enumerate(removed) for j, b in enumerate(added) if (a.of, a.source) == (b.of, b.source)),
        key=lambda c: (-c[0], c[1], c[2]))
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    changes: list[QuoteChange] = []
    for alike, i, j in candidates:
        if alike < MIN_ALIKE or i in taken_old or j in taken_new:
            continue
        taken_old.add(i)
        taken_new.add(j)
        changes.append(QuoteChange(removed[i].of, removed[i].source, removed[i], added[j]))
    left_removed = [q for i, q in enumerate(removed) if i not in taken_old]
    left_added = [q for j, q in enumerate(added) if j not in taken_new]
    return left_removed, left_added, sorted(changes, key=lambda c: (c.source, c.new.start))


def shift(change: RecordChange, articles: dict[str, ArticleChange]) -> None:
    """Move the spans of ``change`` that only shifted with a changed article onto that article's count."""
    kept: list[Move] = []
    for move in change.evidence_moved:
        article = articles.get(move.source)
        if article is None:
            kept.append(move)  # the article is unchanged: a curator moved the span on purpose
        else:
            article.shifted.append(move)
    change.evidence_moved = kept
