"""What a change does to the knowledge base, as facts rather than lines: for review in a pull request.

Both versions are built into the RDF graph (:mod:`kb.graph.builder`) and compared with rdflib's graph
comparison (``graph_diff``, which canonicalises both graphs as ``to_isomorphic`` does), so reordering records,
list items or files changes nothing. Every triple that differs is then traced to the record that owns it (the
graph's IRIs say which: a fact's versions, time nodes and evidence hang below it) and the report says, per
record, what was added, removed or changed, which evidence was added, removed, moved or had its quote changed,
and which disputes were opened or resolved, each with its quote. A changed article is told as a text diff, the
spans that only shifted with it as a count (:mod:`kb.curate.articles`). Everything reported is read from the
two graphs.

Pure: :func:`compare` takes two sides. The sides and the reading of their graphs are in
:mod:`kb.curate.sides` (whose :func:`~kb.curate.sides.load_revision` is the only I/O); what a report holds is
in :mod:`kb.curate.changes`.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from rdflib import URIRef
from rdflib.compare import graph_diff

from kb.curate.articles import article_change, pair_quotes, shift
from kb.curate.changes import ArticleChange, DisputeChange, FieldChange, Link, Move, Quote, RecordChange, Report
from kb.curate.sides import TRUTHY_LINKS, Side, View, load_revision
from kb.vocab import KB, OA, RDF, Mint

# Follow from the article text around a quote; a changed article is reported on its source.
CONTEXT = frozenset({OA.prefix, OA.suffix})


def _changed_fields(old: dict[str, set[str]], new: dict[str, set[str]]) -> list[FieldChange]:
    changes = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name, set()), new.get(name, set())
        removed, added = before - after, after - before
        if removed or added:
            changes.append(FieldChange(name, sorted(removed), sorted(added)))
    return changes


def _evidence_changes(old: list[Quote], new: list[Quote]) -> tuple[list[Quote], list[Quote], list[Move]]:
    """Match spans by (version, source, quote): same offsets are unchanged, different ones moved."""
    before: dict[tuple[str, str, str], list[Quote]] = defaultdict(list)
    after: dict[tuple[str, str, str], list[Quote]] = defaultdict(list)
    for q in old:
        before[(q.of, q.source, q.quote)].append(q)
    for q in new:
        after[(q.of, q.source, q.quote)].append(q)
    added: list[Quote] = []
    removed: list[Quote] = []
    moved: list[Move] = []
    for key in sorted(set(before) | set(after)):
        gone = [q for q in before[key] if q not in after[key]]
        came = [q for q in after[key] if q not in before[key]]
        for a, b in zip(gone, came, strict=False):
            moved.append(Move(key[0], key[1], key[2], (a.start, a.end), (b.start, b.end)))
        removed += gone[len(came):]
        added += came[len(gone):]
    return added, removed, moved


def compare(base: Side, head: Side, base_iri: str) -> Report:
    """Return what changed from ``base`` to ``head``: records, evidence, disputes and derived links."""
    # graph_diff canonicalises both graphs (to_canonical_graph), so blank nodes, if a future graph had any,
    # would compare by structure rather than by their arbitrary labels.
    _, in_base, in_head = graph_diff(base.graph, head.graph)
    mint = Mint(base_iri)
    old, new = View(base, mint), View(head, mint)
    report = Report(base.name, head.name, triples_added=len(in_head), triples_removed=len(in_base))
    records: set[URIRef] = set()
    disputes: set[URIRef] = set()
    for view, triples, links in ((old, in_base, report.links_removed), (new, in_head, report.links_added)):
        for s, p, o in triples:
            if p in CONTEXT:
                continue
            if p in TRUTHY_LINKS:
                links.append(Link(view.label(s), view.field_name(p), view.label(o)))
                continue
            parts = view.parts(s)
            if parts[:1] == ["dispute"]:
                disputes.add(URIRef(str(s)) if len(parts) > 2 else URIRef(f"{mint.base}dispute/{parts[1]}"))
                continue
            record = view.record(s)
            if record is not None:
                records.add(record)
    articles = {article.source: article for article in _articles(old, new, records)}
    report.articles = sorted(articles.values(), key=lambda a: a.source)
    for record in sorted(records):
        change = _record_change(old, new, record)
        shift(change, articles)
        if change.id in articles and change.kind == "source":
            # the article's own change is told in its section; any other field stays here
            change.fields = [f for f in change.fields if f.field not in {"sha256", "text"}]
            if not change.fields:
                continue
        # A fact that only became (un)disputed is told in the Disputes section.
        if not change.quiet:
            report.records.append(change)
    for dispute in sorted(disputes):
        report.disputes.append(_dispute_change(old, new, dispute))
    report.links_added.sort(key=lambda link: (link.subject, link.predicate, link.object))
    report.links_removed.sort(key=lambda link: (link.subject, link.predicate, link.object))
    return report


def _articles(old: View, new: View, records: set[URIRef]) -> list[ArticleChange]:
    """Return the change of every source among ``records`` whose article text changed."""
    found = []
    for record in sorted(records):
        if new.parts(record)[:1] != ["source"]:
            continue
        before, after = old.graph.value(record, KB.text), new.graph.value(record, KB.text)
        if before is None or after is None or str(before) == str(after):
            continue
        shas = (str(old.graph.value(record, KB.sha256) or ""), str(new.graph.value(record, KB.sha256) or ""))
        found.append(article_change(new.rid(record), new.label(record), new.location(record),
                                    (shas[0], str(before)), (shas[1], str(after))))
    return found


def _record_change(old: View, new: View, record: URIRef) -> RecordChange:
    in_old, in_new = (record, RDF.type, None) in old.graph, (record, RDF.type, None) in new.graph
    view = new if in_new else old
    status = "changed" if in_old and in_new else "added" if in_new else "removed"
    change = RecordChange(view.kind(record), view.rid(record), view.label(record), status,
                          view.location(record))
    before = old.fields(record) if in_old else {}
    after = new.fields(record) if in_new else {}
    change.fields = _changed_fields(before, after)
    added, removed, moved = _evidence_changes(old.evidence(record) if in_old else [],
                                              new.evidence(record) if in_new else [])
    removed, added, change.quotes_changed = pair_quotes(removed, added) if status == "changed" else (removed, added, [])
    change.evidence_added, change.evidence_removed, change.evidence_moved = added, removed, moved
    return change


def _dispute_change(old: View, new: View, dispute: URIRef) -> DisputeChange:
    typed = (dispute, RDF.type, KB.Dispute)
    in_old, in_new = typed in old.graph, typed in new.graph
    view = new if in_new else old
    status = "changed" if in_old and in_new else "opened" if in_new else "resolved"
    change = DisputeChange("/".join(view.parts(dispute)[1:]), view.label(dispute), status)
    facts = view.disputed(dispute)
    if status == "changed":
        before = {f.id for f in old.disputed(dispute)}
        after = new.disputed(dispute)
        change.facts = [f for f in after if f.id not in before]
        change.dropped = [f for f in old.disputed(dispute) if f.id not in {a.id for a in after}]
    else:
        change.facts = facts
    return change


def diff(root: Path, base: str, head: str | None, base_iri: str) -> Report:
    """Return what the change from git revision ``base`` to ``head`` (None: the working tree) does.

    Raises DiffError when either side cannot be read or does not validate.
    """
    return compare(load_revision(root, base, base_iri), load_revision(root, head, base_iri), base_iri)
