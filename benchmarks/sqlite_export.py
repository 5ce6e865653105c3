"""The same facts in SQLite, for the datasette + datasette-graphql peer: tables, foreign keys, fair indexes.

    python benchmarks/sqlite_export.py KB_DIR OUT.db

One table per kind, a link table per list of references (meeting participants, statement audiences), one
evidence table per kind of fact, a foreign key on every reference (datasette-graphql turns each into a nested
field, and each reverse key into a ``*_list`` field) and an index on every foreign-key column and every
column the benchmark filters or sorts by: what a competent SQLite user would set up.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHEMA = """
CREATE TABLE sources (id TEXT PRIMARY KEY, headline TEXT, publisher TEXT, published TEXT, text TEXT);
CREATE TABLE places (id TEXT PRIMARY KEY, name TEXT, kind TEXT);
CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT REFERENCES places(id));
CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT);
CREATE TABLE meetings (id TEXT PRIMARY KEY, kind TEXT, status TEXT, label TEXT, date TEXT,
                       place TEXT REFERENCES places(id));
CREATE TABLE meeting_participants (id INTEGER PRIMARY KEY, meeting TEXT NOT NULL REFERENCES meetings(id),
                                   person TEXT NOT NULL REFERENCES people(id));
CREATE TABLE meeting_evidence (id INTEGER PRIMARY KEY, meeting TEXT NOT NULL REFERENCES meetings(id),
                               source TEXT NOT NULL REFERENCES sources(id), quote TEXT, start INTEGER,
                               "end" INTEGER);
CREATE TABLE statements (id TEXT PRIMARY KEY, speaker TEXT REFERENCES people(id), summary TEXT, channel TEXT,
                         date TEXT, meeting TEXT REFERENCES meetings(id));
CREATE TABLE statement_evidence (id INTEGER PRIMARY KEY, statement TEXT NOT NULL REFERENCES statements(id),
                                 source TEXT NOT NULL REFERENCES sources(id), quote TEXT, start INTEGER,
                                 "end" INTEGER);
CREATE TABLE roles (id TEXT PRIMARY KEY, holder TEXT REFERENCES people(id),
                    organization TEXT REFERENCES organizations(id), title TEXT, start TEXT, "end" TEXT);
CREATE INDEX people_name ON people(name);
CREATE INDEX meetings_date ON meetings(date);
CREATE INDEX meetings_place ON meetings(place);
CREATE INDEX participants_meeting ON meeting_participants(meeting);
CREATE INDEX participants_person ON meeting_participants(person, meeting);
CREATE INDEX meeting_evidence_meeting ON meeting_evidence(meeting);
CREATE INDEX meeting_evidence_source ON meeting_evidence(source);
CREATE INDEX statements_speaker ON statements(speaker, date);
CREATE INDEX statements_meeting ON statements(meeting);
CREATE INDEX statement_evidence_statement ON statement_evidence(statement);
CREATE INDEX statement_evidence_source ON statement_evidence(source);
CREATE INDEX roles_holder ON roles(holder);
CREATE INDEX roles_organization ON roles(organization);
"""


def _date(value: Any) -> str | None:
    return value.value if value is not None else None


def export(kb_dir: Path, out: Path) -> dict[str, int]:
    """Write the knowledge base under ``kb_dir`` into a new SQLite file ``out``; return rows per table."""
    from kb.load import pipeline

    kb = pipeline.load(kb_dir)
    out.unlink(missing_ok=True)
    db = sqlite3.connect(out)
    db.executescript(SCHEMA)
    rows: dict[str, list[tuple[Any, ...]]] = {
        "sources": [(s.id, s.headline, s.publisher, s.published, kb.articles[s.id].text) for s in kb.sources.values()],
        "places": [(p.id, p.name, p.kind) for p in kb.places.values()],
        "people": [(p.id, p.name, p.country) for p in kb.people.values()],
        "organizations": [(o.id, o.name, o.kind) for o in kb.organizations.values()],
        "meetings": [], "meeting_participants": [], "meeting_evidence": [], "statements": [],
        "statement_evidence": [], "roles": [],
    }
    for m in kb.meetings.values():
        rows["meetings"].append((m.id, m.kind, m.status, m.label, _date(m.date), m.place))
        rows["meeting_participants"] += [(None, m.id, p) for p in m.participants
                                         if kb.kinds[p] == "people"]
        rows["meeting_evidence"] += [(None, m.id, e.source, e.quote, e.start, e.end) for e in m.evidence]
    for s in kb.statements.values():
        rows["statements"].append((s.id, s.speaker if kb.kinds[s.speaker] == "people" else None,
                                   s.summary, s.channel, _date(s.date), s.meeting))
        rows["statement_evidence"] += [(None, s.id, e.source, e.quote, e.start, e.end) for e in s.evidence]
    for r in kb.roles.values():
        rows["roles"].append((r.id, r.holder, r.organization, r.title, _date(r.start), _date(r.end)))
    for table, values in rows.items():
        if values:
            marks = ", ".join("?" * len(values[0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return {table: len(values) for table, values in rows.items()}


if __name__ == "__main__":
    print(json.dumps(export(Path(sys.argv[1]), Path(sys.argv[2]))))
