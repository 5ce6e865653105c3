"""How much of a curator's evidence ``kb suggest`` finds on its own: recall and precision per seed article.

    python benchmarks/suggest.py [--root .] [--out benchmarks/results_suggest.json]

Each seed article in turn is read as if it were new: ``kb suggest`` (kb.curate.suggest) may use every record's
names and aliases, but not the title wordings only that article's own evidence quotes (those were learnt from
it). What it proposes (what kb.curate.draft would write into the draft) is compared with the curated records:

- **recall**: of the article's curated mentions (each person, organization and place whose evidence cites
  it) and title spans (the evidence of roles' titles citing it), the share the draft recovers: a mention when
  the draft proposes evidence of that record in the article (any of its mentions is evidence that the article
  names it; which one a curator quoted is a matter of taste, so ``same_span_recall`` also reports how often
  the draft's quote overlaps the curator's), a title span when a title of the same role overlaps it;
- **precision**: of the suggestions, the share the curated records bear out: a mention of record R is right
  when it overlaps a curated span of the article that is R's own evidence or the evidence of a record that
  refers to R (a meeting R took part in, a statement R made, a role R holds…); a title is right when it
  overlaps a curated span of that role's titles.

Targets (issue 20): recall ≥ 90 %, precision ≥ 80 % on every article. Prints a table, writes the JSON (one row
per article and the totals). Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from kb.curate import draft
from kb.curate.suggest import suggest
from kb.load import pipeline
from kb.load.validate import references, walk
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import KINDS, Evidence, Role

ROOT = Path(__file__).resolve().parent.parent
RECALL_TARGET, PRECISION_TARGET = 0.90, 0.80
Span = tuple[str, int, int]  # record id, start, end


@dataclass
class Truth:
    """What the curators recorded of one article: mentions, title spans, and which spans bear out which ids."""

    mentions: list[Span]
    titles: list[Span]
    support: list[tuple[frozenset[str], int, int]]


def truth(kb: KnowledgeBase, source: str) -> Truth:
    """Return the curated mentions, title spans and supporting spans of ``source``."""
    mentions: list[Span] = []
    titles: list[Span] = []
    support: list[tuple[frozenset[str], int, int]] = []
    for kind in KINDS:
        for rid, record in kb.of(kind).items():
            ids = frozenset({rid, *(ref for _, ref, _ in references(record))})
            for _, value in walk(record):
                if not isinstance(value, Evidence) or value.source != source or value.start is None:
                    continue
                assert value.end is not None
                support.append((ids, value.start, value.end))
                if kind in {"people", "organizations", "places"}:
                    mentions.append((rid, value.start, value.end))
        if kind == "roles":
            for role in kb.of(kind).values():
                assert isinstance(role, Role)
                titles += [(role.id, e.start or 0, e.end or 0) for t in role.titles for e in t.evidence
                           if e.source == source]
    return Truth(sorted(set(mentions)), sorted(set(titles)), support)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def measure(kb: KnowledgeBase, source: str) -> dict[str, object]:
    """Return recall and precision of what ``kb suggest`` proposes for ``source``, read as a new article."""
    text = kb.articles[source].text
    found = suggest(kb, source, text, hidden=source)
    proposed = draft.proposals(found)
    mentions: list[Span] = [(p.record, p.start, p.end) for p in proposed if p.title is None]
    titles: list[Span] = [(p.record, p.start, p.end) for p in proposed if p.title is not None]
    want = truth(kb, source)
    proposed_records = {r for r, _, _ in mentions}
    hit_mentions = [m for m in want.mentions if m[0] in proposed_records]
    same_span = [m for m in want.mentions if any(r == m[0] and _overlaps((s, e), m[1:]) for r, s, e in mentions)]
    hit_titles = [t for t in want.titles if any(r == t[0] and _overlaps((s, e), t[1:]) for r, s, e in titles)]
    right_mentions = [m for m in mentions
                      if any(m[0] in ids and _overlaps(m[1:], (s, e)) for ids, s, e in want.support)]
    right_titles = [t for t in titles if any(r == t[0] and _overlaps(t[1:], (s, e)) for r, s, e in want.titles)]
    curated = len(want.mentions) + len(want.titles)
    suggested = len(mentions) + len(titles)
    recall = (len(hit_mentions) + len(hit_titles)) / curated if curated else 1.0
    precision = (len(right_mentions) + len(right_titles)) / suggested if suggested else 1.0
    return {
        "source": source, "curated_mentions": len(want.mentions), "curated_titles": len(want.titles),
        "found_mentions": len(hit_mentions), "found_titles": len(hit_titles),
        "suggested_mentions": len(mentions), "suggested_titles": len(titles),
        "right_mentions": len(right_mentions), "right_titles": len(right_titles),
        "recall": round(recall, 4), "precision": round(precision, 4),
        "same_span_mentions": len(same_span),
        "same_span_recall": round((len(same_span) + len(hit_titles)) / curated if curated else 1.0, 4),
        "missed": [list(m) for m in want.mentions + want.titles if m not in hit_mentions and m not in hit_titles],
        "wrong": [list(m) for m in mentions if m not in right_mentions] + [list(t) for t in titles
                                                                          if t not in right_titles],
    }


def main() -> int:
    """Measure every seed article, print the table, write the JSON; return 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results_suggest.json")
    args = parser.parse_args()
    kb = pipeline.load(args.root)
    rows = [measure(kb, source) for source in sorted(kb.sources, key=lambda s: kb.sources[s].file)]
    print(f"{'article':34} {'mentions':>9} {'titles':>7} {'suggested':>9} {'recall':>7} {'precision':>9} "
          f"{'same span':>9}")
    for row in rows:
        print(f"{row['source']:34} {row['found_mentions']:>4}/{row['curated_mentions']:<4} "
              f"{row['found_titles']:>3}/{row['curated_titles']:<3} "
              f"{int(str(row['suggested_mentions'])) + int(str(row['suggested_titles'])):>9} "
              f"{float(str(row['recall'])):>7.1%} {float(str(row['precision'])):>9.1%} "
              f"{float(str(row['same_span_recall'])):>9.1%}")
    met = all(float(str(r["recall"])) >= RECALL_TARGET and float(str(r["precision"])) >= PRECISION_TARGET
              for r in rows)
    print(f"targets: recall ≥ {RECALL_TARGET:.0%}, precision ≥ {PRECISION_TARGET:.0%} on every article: "
          f"{'met' if met else 'NOT met'}")
    args.out.write_text(json.dumps({"targets": {"recall": RECALL_TARGET, "precision": PRECISION_TARGET},
                                    "met": met, "articles": rows}, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
