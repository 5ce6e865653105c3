"""Render a :class:`kb.curate.changes.Report`: Markdown ready to post on a pull request, or JSON for tools."""

from __future__ import annotations

import dataclasses
import json
import re

from kb.curate.changes import ArticleChange, DisputedFact, Quote, RecordChange, Report

MARKER = "<!-- kb-diff -->"  # lets CI find and update its own comment
MAX_LINKS = 50
MAX_LABEL = 100
MAX_DIFF_LINES = 200  # of one article's text diff; the JSON has it whole
_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def md(text: str) -> str:
    """Return ``text`` safe inside Markdown: one line, HTML and emphasis characters escaped."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _quote(q: Quote) -> str:
    of = f" ({md(q.of)})" if q.of else ""
    return f"“{md(q.quote)}” — `{q.source}` {q.start}..{q.end}{of}"


def _count(n: int, noun: str) -> str:
    """Return "1 quote", "2 quotes"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary(report: Report) -> str:
    """Return the one-line summary of a report."""
    if report.empty:
        return "No change to the knowledge base."
    c = report.counts()
    parts = [f"{c['records_' + s]} {s}" for s in ("added", "removed", "changed") if c["records_" + s]]
    evidence = [f"{c['evidence_' + s]} {s}" for s in ("added", "moved", "removed") if c["evidence_" + s]]
    if c["quotes_changed"]:
        evidence.append(_count(c["quotes_changed"], "quote") + " changed")
    if c["evidence_shifted"]:
        evidence.append(f"{c['evidence_shifted']} shifted with their article")
    disputes = [f"{c['disputes_' + s]} {s}" for s in ("opened", "resolved", "changed") if c["disputes_" + s]]
    out = ("records: " + ", ".join(parts)) if parts else "no record changed"
    if c["articles_changed"]:
        out = f"{_count(c['articles_changed'], 'article')} changed · {out}"
    if evidence:
        out += " · evidence: " + ", ".join(evidence)
    if disputes:
        out += " · disputes: " + ", ".join(disputes)
    return out + f" · triples: +{report.triples_added} −{report.triples_removed}"


def _record(change: RecordChange) -> list[str]:
    where = f" ({change.location})" if change.location else ""
    lines = [f"- **{change.kind}** `{change.id}` — {md(change.label)}{where}"]
    for f in change.fields:
        if change.status == "changed":
            if len(f.removed) == 1 and len(f.added) == 1:
                lines.append(f"  - {f.field}: ~~{md(f.removed[0])}~~ → {md(f.added[0])}")
                continue
            values = [f"−{md(v)}" for v in f.removed] + [f"+{md(v)}" for v in f.added]
            lines.append(f"  - {f.field}: " + "; ".join(values))
        elif change.status == "added" and f.field not in {"label", "disputed"}:  # disputes: their own section
            lines.append(f"  - {f.field}: " + "; ".join(md(v) for v in f.added))
    if change.status == "changed":
        lines += [f"  - evidence added: {_quote(q)}" for q in change.evidence_added]
        lines += [f"  - evidence removed: {_quote(q)}" for q in change.evidence_removed]
        lines += [f"  - quote changed: “{md(q.old.quote)}” → “{md(q.new.quote)}” — `{q.source}` "
                  f"{q.old.start}..{q.old.end} → {q.new.start}..{q.new.end}" + (f" ({md(q.of)})" if q.of else "")
                  for q in change.quotes_changed]
        lines += [f"  - evidence moved: “{md(m.quote)}” — `{m.source}` "
                  f"{m.old[0]}..{m.old[1]} → {m.new[0]}..{m.new[1]}"
                  + (f" ({md(m.of)})" if m.of else "") for m in change.evidence_moved]
    else:
        lines += [f"  - > {_quote(q)}" for q in change.evidence_added or change.evidence_removed]
    return lines


def _article(article: ArticleChange) -> list[str]:
    """Return an article's change: one line saying what moved with it, then its text diff, fenced."""
    where = f" ({article.location})" if article.location else ""
    moved = f"{_count(len(article.shifted), 'span')} shifted, quotes unchanged" if article.shifted else "no span moved"
    sha = f"sha256 {article.old_sha256[:12]}… → {article.new_sha256[:12]}…"
    label = article.label if len(article.label) <= MAX_LABEL else article.label[: MAX_LABEL - 1] + "…"
    lines = [f"- **source** `{article.source}` — {md(label)}{where}: {sha}; {moved}"]
    shown = article.diff[:MAX_DIFF_LINES]
    fence = "`" * max(3, 1 + max((len(run) for line in shown for run in re.findall("`+", line)), default=0))
    lines += [f"  {fence}diff", *(f"  {line}" for line in shown)]
    if len(article.diff) > MAX_DIFF_LINES:
        lines.append(f"  … {len(article.diff) - MAX_DIFF_LINES} more lines of diff")
    return [*lines, f"  {fence}"]


def _sides(facts: list[DisputedFact], sign: str = "") -> list[str]:
    lines = []
    for fact in facts:
        lines.append(f"  - {sign}`{fact.id}` — {md(fact.label)}")
        lines += [f"    - > {_quote(q)}" for q in fact.quotes]
    return lines


def markdown(report: Report) -> str:
    """Return the report as Markdown: a summary line, then changed articles, records, disputes and derived
    links."""
    title = f"### Knowledge base diff: {md(report.base)} → {md(report.head)}"
    lines = [MARKER, title, "", f"**{summary(report)}**"]
    if report.articles:
        lines += ["", f"#### Articles changed ({len(report.articles)})", ""]
        for article in report.articles:
            lines += _article(article)
    titles = {"added": "Added", "removed": "Removed", "changed": "Changed"}
    for status, title in titles.items():
        changes = [c for c in report.records if c.status == status]
        if changes:
            lines += ["", f"#### {title} ({len(changes)})", ""]
            for change in changes:
                lines += _record(change)
    if report.disputes:
        lines += ["", f"#### Disputes ({len(report.disputes)})", ""]
        for dispute in report.disputes:
            lines.append(f"- **{dispute.status}**: {md(dispute.label)} (`{dispute.id}`)")
            lines += _sides(dispute.facts, "+" if dispute.status == "changed" else "")
            lines += _sides(dispute.dropped, "−")
    links = [("+", link) for link in report.links_added] + [("−", link) for link in report.links_removed]
    if links:
        counts = f"{len(report.links_added)} added, {len(report.links_removed)} removed"
        lines += ["", f"<details><summary>Derived links: {counts}</summary>", ""]
        lines += [f"- {sign} {md(l.subject)} *{md(l.predicate)}* {md(l.object)}"
                  for sign, l in links[:MAX_LINKS]]
        if len(links) > MAX_LINKS:
            lines.append(f"- … and {len(links) - MAX_LINKS} more")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    """Return the report as JSON: every change, plus its counts and summary line."""
    data = dataclasses.asdict(report)
    data["counts"] = report.counts()
    data["summary"] = summary(report)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
