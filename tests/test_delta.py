"""kb/graph/delta.py: an edit applied to a live Oxigraph store leaves exactly the graph a full build of the new
version makes, including shared lines (kb:met, offices, memberships) that several records make."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
import pytest

from kb.graph import builder as graph
from kb.graph import delta
from kb.graph.native import fill
from kb.graph.ntriples import LineKey
from kb.load import validate
from kb.model.knowledge_base import KnowledgeBase
from kb.model.records import Dispute, Evidence, Meeting, Person, Record, Role, Statement
from tests.kbs import BASE, knowledge_base


def filled(kb: KnowledgeBase) -> tuple[ox.Store, Counter[LineKey]]:
    """Return a store holding the full build of ``kb`` and its shared-line counts."""
    shared: Counter[LineKey] = Counter()
    native = ox.Store()
    fill(native, graph.nquads(kb, BASE, shared=shared))
    return native, shared


def edited(kb: KnowledgeBase, *records: Record, remove: tuple[str, ...] = ()) -> KnowledgeBase:
    """Return a copy of ``kb`` with ``records`` put in (by id) and the ids ``remove`` taken out."""
    copy = kb.copy()
    for gone in remove:
        copy.remove(gone)
    for record in records:
        copy.add(record)
    return copy


def first(kb: KnowledgeBase, kind: str, test: Callable[[Record], bool]) -> Any:
    return next(r for _, r in sorted(kb.of(kind).items()) if test(r))


def _drop_participant(kb: KnowledgeBase) -> KnowledgeBase:
    meeting = first(kb, "meetings", lambda m: isinstance(m, Meeting) and m.status == "held"
                    and len(m.participants) >= 2)
    assert isinstance(meeting, Meeting)
    return edited(kb, meeting.model_copy(update={"participants": meeting.participants[:-1]}))


def _rename_role_holder(kb: KnowledgeBase) -> KnowledgeBase:
    holders = Counter(r.holder for r in kb.roles.values() if isinstance(r, Role))
    person = kb.people[holders.most_common(1)[0][0]]
    assert isinstance(person, Person)
    return edited(kb, person.model_copy(update={"name": person.name + " (renamed)"}))


def _second_role_for_an_office(kb: KnowledgeBase) -> KnowledgeBase:
    role = first(kb, "roles", lambda r: True)
    return edited(kb, role.model_copy(update={"id": role.id + "-again"}))


def _remove_a_dispute(kb: KnowledgeBase) -> KnowledgeBase:
    dispute = first(kb, "disputes", lambda d: True)
    return edited(kb, remove=(dispute.id,))


def _shrink_a_dispute(kb: KnowledgeBase) -> KnowledgeBase:
    dispute = first(kb, "disputes", lambda d: isinstance(d, Dispute) and len(d.facts) >= 2)
    assert isinstance(dispute, Dispute)
    return edited(kb, dispute.model_copy(update={"facts": dispute.facts[1:]}))


def _move_statement_evidence_and_add_one(kb: KnowledgeBase) -> KnowledgeBase:
    statement = first(kb, "statements", lambda s: isinstance(s, Statement) and len(s.evidence) >= 1)
    assert isinstance(statement, Statement)
    evidence = statement.evidence[0]
    text = kb.articles[evidence.source].text
    start = 0 if evidence.start else 1
    moved = Evidence(source=evidence.source, quote=text[start:start + 20], start=start, end=start + 20)
    added = statement.model_copy(update={"id": statement.id + "-copy", "summary": "a new statement"})
    return edited(kb, statement.model_copy(update={"evidence": [moved]}), added)


def _decline_a_held_meeting(kb: KnowledgeBase) -> KnowledgeBase:
    """A declined meeting between two people of a held talk on its day takes their kb:met (kb:rule-met)."""
    held = first(kb, "meetings", lambda m: isinstance(m, Meeting) and m.status == "held" and m.date is not None
                 and m.kind in {"meeting", "talks", "visit"}
                 and sum(kb.kinds.get(p) == "people" for p in m.participants) >= 2)
    people = [p for p in held.participants if kb.kinds.get(p) == "people"][:2]
    declined = held.model_copy(update={"id": held.id + "-declined", "status": "declined", "participants": people,
                                       "links": [], "topics": [], "duration": [], "characterization": [],
                                       "outcomes": []})
    return edited(kb, declined)


EDITS = {
    "decline a held meeting": _decline_a_held_meeting,
    "drop a participant": _drop_participant,
    "rename a role holder": _rename_role_holder,
    "second role for an office": _second_role_for_an_office,
    "remove a dispute": _remove_a_dispute,
    "shrink a dispute": _shrink_a_dispute,
    "move evidence, add a statement": _move_statement_evidence_and_add_one,
}


@pytest.mark.parametrize("which", ["mini", "real"])
@pytest.mark.parametrize("name", sorted(EDITS))
def test_applied_delta_gives_the_full_build_of_the_new_version(which: str, name: str) -> None:
    old = knowledge_base(which)
    new = EDITS[name](old)
    native, shared = filled(old)
    before = set(native)
    change = delta.compute(old, new, BASE, shared)
    assert change is not None
    assert change.remove or change.add
    delta.apply(native, change)
    expected, expected_shared = filled(new)
    assert set(native) == set(expected)
    assert change.shared == +expected_shared
    default = ox.DefaultGraph()
    assert change.triples == (sum(q.graph_name == default for q in expected)
                              - sum(q.graph_name == default for q in before))
    assert change.records < sum(map(len, old.by_kind().values())) / 2  # an edit, not a rebuild


@pytest.mark.parametrize("which", ["mini", "real"])
def test_shared_line_leaves_only_with_its_last_maker(which: str) -> None:
    one = knowledge_base(which)
    two = _second_role_for_an_office(one)  # two roles make the same membership and office lines
    removed = delta.compute(two, one, BASE, filled(two)[1])
    assert removed is not None
    # Only the lines naming the removed role as a premise leave: the membership, the office and their
    # derivations stay, made by the first role still.
    again = f"/role/{first(one, 'roles', lambda r: True).id}-again>".encode()
    leaving = [line for line, _ in removed.remove if b"#memberOf>" in line or b"/post/" in line.split(b" ")[0]
               or b"/derivation/member-of/" in line.split(b" ")[0]]
    assert leaving and all(line.endswith(again) and b"#wasDerivedFrom>" in line for line in leaving)
    role = first(one, "roles", lambda r: True)
    gone = delta.compute(one, edited(one, remove=(role.id,)), BASE, filled(one)[1])
    assert gone is not None
    assert any(b"#memberOf>" in line for line, _ in gone.remove)  # its last maker is gone


def test_no_change_is_an_empty_delta() -> None:
    old = knowledge_base("real")
    change = delta.compute(old, edited(old), BASE, filled(old)[1])
    assert change is not None
    assert (change.remove, change.add, change.records) == ([], [], 0)


def test_changed_article_or_source_needs_a_full_build() -> None:
    old = knowledge_base("mini")
    source_id = min(old.sources)
    source = old.sources[source_id]
    assert delta.compute(old, edited(old, source.model_copy(update={"note": "changed"})), BASE, Counter()) is None
    article = old.articles[source_id]
    changed = dataclasses.replace(old, articles={**old.articles, source_id: dataclasses.replace(article, sha256="0")})
    assert delta.compute(old, changed, BASE, Counter()) is None


def _random_edit(kb: KnowledgeBase, rng: random.Random) -> KnowledgeBase:
    """Return ``kb`` with two to four random edits that keep every reference valid."""
    people = sorted(kb.people)
    agents = people + sorted(kb.organizations)
    edits: list[Record] = []
    removed: list[str] = []
    for _ in range(rng.randint(2, 4)):
        kind = rng.choice(["people", "meetings", "meetings", "roles", "roles", "statements", "disputes"])
        if not kb.of(kind):
            continue
        record: Any = kb.of(kind)[rng.choice(sorted(kb.of(kind)))]
        if kind == "people":
            edits.append(record.model_copy(update={"name": record.name + " Jr."}))
        elif kind == "meetings":
            change = rng.choice(["participants", "status", "label", "remove"])
            if change == "participants":
                edits.append(record.model_copy(update={"participants": rng.sample(agents, rng.randint(1, 4))}))
            elif change == "status":
                edits.append(record.model_copy(update={"status": "planned" if record.status == "held" else "held"}))
            elif change == "label":
                edits.append(record.model_copy(update={"label": record.label + " (again)"}))
            elif not any(ref == record.id for records in kb.by_kind().values() for other in records.values()
                         for _, ref, _ in validate.references(other)):
                removed.append(record.id)  # no record refers to it
        elif kind == "roles":
            change = rng.choice(["holder", "title", "copy"])
            if change == "holder":
                edits.append(record.model_copy(update={"holder": rng.choice(people)}))
            elif change == "title":
                edits.append(record.model_copy(update={"title": rng.choice(
                    [r.title for r in kb.roles.values() if isinstance(r, Role)])}))
            else:
                edits.append(record.model_copy(update={"id": f"{record.id}-copy-{rng.randint(0, 9)}"}))
        elif kind == "statements":
            edits.append(record.model_copy(update={"speaker": rng.choice(agents),
                                                    "about": rng.sample(agents, rng.randint(0, 2))}))
        elif len(record.facts) > 2:
            edits.append(record.model_copy(update={"facts": record.facts[1:]}))
        else:
            removed.append(record.id)
    latest: dict[str, Record] = {e.id: e for e in edits}  # type: ignore[attr-defined]
    return edited(kb, *latest.values(), remove=tuple(sorted(set(removed) - latest.keys())))


@pytest.mark.parametrize("which", ["mini", "real"])
def test_random_edits_patched_one_after_another_give_each_full_build(which: str) -> None:
    rng = random.Random(f"kb-delta-{which}")
    kb = knowledge_base(which)
    native, shared = filled(kb)
    for _ in range(12):  # each patch applied on the store the previous ones left
        new = _random_edit(kb, rng)
        change = delta.compute(kb, new, BASE, shared)
        assert change is not None
        delta.apply(native, change)
        expected, expected_shared = filled(new)
        assert set(native) == set(expected)
        assert change.shared == +expected_shared
        kb, shared = new, change.shared
