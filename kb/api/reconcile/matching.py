"""Scoring the candidates of one reconciliation query: pure functions of an :class:`~kb.api.reconcile.index.Index`
and a :class:`Query`.

A candidate's score (0 to 100) starts from how close the query is to the best of its names and aliases (rapidfuzz:
the better of the token-sorted ratio and the ratio of the names run together, on folded words; nickname forms
cost :data:`~kb.api.reconcile.names.NICKNAME_PENALTY`). Words of titles before a name ("Secretary of State Antony
Blinken") are tried apart: the name after them is matched, and the title must agree with the person's titles
(else :data:`TITLE_MISMATCH` points off). A surname alone ("Blinken") scores at most :data:`SURNAME_CAP` unless a
title or a property agrees. Each property given adds :data:`PROPERTY_AGREES` when the candidate's value agrees and
takes :data:`PROPERTY_DISAGREES` off when it has values and none agrees. ``match`` is true only for a confident,
unambiguous candidate (:func:`decide`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kb.api.reconcile import names
from kb.api.reconcile.entities import PROPERTIES, Entity
from kb.api.reconcile.index import Index

SURNAME_CAP = 80.0
TITLE_MISMATCH = 15.0
PROPERTY_AGREES = 5.0
PROPERTY_DISAGREES = 20.0
TYPE_MISMATCH = 20.0
"""Points off a candidate outside the query's types when ``type_strict`` is ``should``."""
MATCH_SCORE = 90.0
MATCH_GAP = 10.0
"""``match`` needs a score and a name similarity of at least :data:`MATCH_SCORE`, and a lead of :data:`MATCH_GAP`
over the next candidate."""
LEAST = 60.0
"""A candidate scoring less is not returned."""
AGREE_TEXT = 88.0
"""How similar a property's value must be to a name or title of the candidate to agree with it."""
NEAREST = 40
"""The most names of each form of a query scored further (the nearest by similarity), at least 4 x its limit."""
TARGETS = {"country": "place/", "memberOf": "organization/", "parent": "organization/"}
"""What kind of entity a link property points to: a bare id (``china``) is read under this."""


@dataclass(frozen=True)
class Value:
    """One value of a property constraint: text, or an entity (its id, and its name when given)."""

    text: str = ""
    id: str = ""


@dataclass(frozen=True)
class Query:
    """One reconciliation query, checked (kb.api.reconcile.requests makes it from the protocol's JSON)."""

    text: str = ""
    types: tuple[str, ...] = ()
    strict: str = "any"
    limit: int = 5
    properties: tuple[tuple[str, tuple[Value, ...]], ...] = ()
    required: frozenset[str] = frozenset()
    """Properties a candidate must agree with (the 1.0 draft's ``required`` conditions)."""


@dataclass(frozen=True)
class Candidate:
    """An entity proposed for a query, with its score, the features it was scored from and the decision."""

    entity: Entity
    score: float
    name: float
    features: dict[str, float | bool] = field(default_factory=dict)
    contradicted: bool = False
    match: bool = False


def reconcile(index: Index, query: Query) -> list[Candidate]:
    """Return the candidates of ``query``, best first, at most ``query.limit``, with ``match`` decided."""
    found = _exact_id(index, query.text)
    scored = found if found is not None else _by_name(index, query) if query.text.strip() else _by_properties(
        index, query)
    ranked = []
    for entity, score, name, features, lift in scored:
        if query.types and entity.type not in query.types:
            if query.strict != "should":
                continue
            score -= TYPE_MISMATCH
            features["type"] = False
        if query.strict == "all" and len(set(query.types)) > 1:
            continue  # an entity has one type: it cannot have all of several
        agreed, contradicted = _properties(index, entity, query, features)
        if any(features.get(f"property_{pid}") is not True for pid in query.required):
            continue
        score += PROPERTY_AGREES * agreed - PROPERTY_DISAGREES * contradicted
        if agreed:
            score += lift  # a property confirms who a surname alone means: the cap is lifted
        ranked.append(Candidate(entity, round(max(0.0, min(100.0, score)), 1), name, features, contradicted > 0))
    ranked = sorted((c for c in ranked if c.score >= LEAST or not query.text.strip()),
                    key=lambda c: (-c.score, c.entity.name, c.entity.id))
    return decide(ranked, bool(query.text.strip()))[:query.limit]


def decide(ranked: Sequence[Candidate], named: bool) -> list[Candidate]:
    """Return the candidates with ``match`` set on the first when it is confident and unambiguous: a score and a
    name similarity of at least :data:`MATCH_SCORE`, no property contradicted, and a lead of :data:`MATCH_GAP`
    over the next; for a query by properties alone, when it is the only candidate and agrees with all of them."""
    if not ranked:
        return []
    top, rest = ranked[0], list(ranked[1:])
    if named:
        sure = (top.score >= MATCH_SCORE and top.name >= MATCH_SCORE and not top.contradicted
                and (not rest or top.score - rest[0].score >= MATCH_GAP))
    else:
        sure = not rest and top.score >= 100.0
    return [Candidate(top.entity, top.score, top.name, top.features, top.contradicted, sure), *rest]


Scored = tuple[Entity, float, float, dict[str, float | bool], float]
"""An entity, its score, its name similarity, its features, and the points a surname's cap took off."""


def _exact_id(index: Index, text: str) -> list[Scored] | None:
    """Return the entity a query names by its id or IRI, scored 100, or None when the query is not an id."""
    raw = text.strip()
    entity = index.entity(raw) or (index.entity(raw.split("://", 1)[-1].split("/", 1)[-1]) if "://" in raw else None)
    return None if entity is None else [(entity, 100.0, 100.0, {"id": True}, 0.0)]


def _by_name(index: Index, query: Query) -> list[Scored]:
    """Return each entity whose names come near the query, with its name score (see the module). The
    similarities of every form of the query to every name its keys find are computed by rapidfuzz in one call a
    form; a name too far to reach :data:`LEAST` even with every property agreeing is not looked at again."""
    tokens = names.words(query.text)
    forms: list[tuple[tuple[str, ...], float, frozenset[str] | None]] = [
        (form, cost, None) for form, cost in names.variants(tokens)]
    lead = _leading_title(index, tokens)
    if lead:
        title = frozenset(tokens[:lead]) - names.LINKING
        forms += [(form, cost, title) for form, cost in names.variants(tokens[lead:])]
    keys: set[str] = set()
    for form, _, _ in forms:
        keys |= names.keys(form)
    hard = query.strict != "should"
    found = index.candidates(keys, frozenset(query.types) if hard else frozenset())
    texts = [index.texts[e] for e in found]
    squashed = [index.squashed[e] for e in found]
    cutoff = LEAST - PROPERTY_AGREES * len(query.properties)
    nearest = max(NEAREST, 4 * query.limit)  # beyond these, a namesake-rich knowledge base adds only work
    best: dict[int, Scored] = {}
    for form, cost, said in forms:
        similar: dict[int, float] = {}
        for scorer, text, choices in ((fuzz.token_sort_ratio, " ".join(form), texts),
                                      (fuzz.ratio, names.squashed(form), squashed)):
            for _, similarity, at in process.extract(text, choices, scorer=scorer, processor=None, limit=nearest,
                                                     score_cutoff=cutoff):
                similar[at] = max(similarity, similar.get(at, 0.0))
        for at, similarity in similar.items():
            entry = index.entries[found[at]]
            scored = _score(index, entry.entity, entry.tokens, form, cost, said, similarity)
            if scored is not None and (entry.entity not in best or scored[0] > best[entry.entity][1]):
                best[entry.entity] = (index.entities[entry.entity], *scored)
    return list(best.values())


def _score(index: Index, entity: int, name: tuple[str, ...], form: tuple[str, ...], cost: float,
           said: frozenset[str] | None,
           similarity: float) -> tuple[float, float, dict[str, float | bool], float] | None:
    """Return (score, name similarity, features, points the surname cap took off) of one form of the query
    against one name of an entity, given their similarity; None for a title-stripped form against an entity that
    holds no titles."""
    if said is not None and not index.titles[entity]:
        return None
    features: dict[str, float | bool] = {"name": round(similarity, 1)}
    if cost:
        features["nickname"] = True
    score = similarity - cost
    agrees = False
    if said is not None:
        agrees = len(said & index.title_words[entity]) * 2 >= len(said) > 0
        features["title"] = agrees
        score -= 0.0 if agrees else TITLE_MISMATCH
    lift = 0.0
    if len(name) == 1 and len(form) == 1 and index.entities[entity].type == "Person" and not agrees:
        features["surname"] = True
        lift = max(0.0, score - SURNAME_CAP)
    return score - lift, similarity, features, lift


def _leading_title(index: Index, tokens: tuple[str, ...]) -> int:
    """Return how many words at the start of a query are words of titles (leaving at least one word)."""
    count = 0
    while count < len(tokens) - 1 and (tokens[count] in index.vocabulary or tokens[count] in names.LINKING):
        count += 1
    while count and tokens[count - 1] in names.LINKING:
        count -= 1
    return count


def _by_properties(index: Index, query: Query) -> list[Scored]:
    """Return, for a query without a name, every entity that agrees with all its properties, scored 100."""
    found: list[Scored] = []
    for entity in index.entities:
        if query.types and entity.type not in query.types and query.strict != "should":
            continue
        if all(_agrees(index, entity, pid, values) for pid, values in query.properties):
            found.append((entity, 100.0 - PROPERTY_AGREES * len(query.properties), 0.0, {}, 0.0))
    return found


def _properties(index: Index, entity: Entity, query: Query, features: dict[str, float | bool]) -> tuple[int, int]:
    """Return how many of the query's properties the entity agrees with and how many it contradicts (it has
    values, none agrees); an entity without a value for a property neither agrees nor contradicts."""
    agreed = contradicted = 0
    for pid, values in query.properties:
        verdict = _agrees(index, entity, pid, values)
        if verdict is None:
            continue
        features[f"property_{pid}"] = verdict
        agreed += verdict
        contradicted += not verdict
    return agreed, contradicted


def _agrees(index: Index, entity: Entity, pid: str, values: tuple[Value, ...]) -> bool | None:
    """Return whether one of ``values`` agrees with the entity's values of ``pid``; None when it has none."""
    if pid == "alias":
        known = [names.words(name) for name in entity.names]
    elif pid == "title":
        known = list(index.titles[index.by_id[entity.id]])
    elif entity.type in PROPERTIES[pid].types and entity.links.get(pid):
        linked = index.linked_names(entity, pid)
        ids = {target for target, _ in linked}
        if any(value.id in ids or TARGETS[pid] + value.id in ids or value.text in ids or
               TARGETS[pid] + value.text in ids for value in values):
            return True
        known = [name for _, forms in linked for name in forms]
    else:
        return None
    if not known:
        return None
    return any(_near(names.words(value.text), name, contains=pid == "title") for value in values if value.text
               for name in known)


def _near(value: tuple[str, ...], name: tuple[str, ...], contains: bool) -> bool:
    """Return whether a property's value (folded words) names what ``name`` names: nearly equal, or, for a
    title, all its words among the name's ("Foreign Minister" agrees with "Chinese Foreign Minister")."""
    if not value or not name:
        return False
    if contains and set(value) - names.LINKING <= set(name):
        return True
    return max(fuzz.token_sort_ratio(" ".join(value), " ".join(name)),
               fuzz.ratio(names.squashed(value), names.squashed(name))) >= AGREE_TEXT
