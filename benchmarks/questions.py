"""The questions every system is asked, in each system's own language, for the same answer.

Typical: one person's first 20 meetings by date, each with its participants and the quotes that state it.
Hub: the same for a "hub" person (hundreds of meetings), first 100. GraphQL for kb, GraphQL for
datasette-graphql (its auto-generated schema over the SQLite tables of ``sqlite_export.py``) and one SPARQL
query (the floor: pyoxigraph's own time, and the raw SPARQL peers: kb's /sparql, rdflib-endpoint, Virtuoso).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

HUB = "person-000000"

KB_GRAPHQL = """query Meetings($id: ID!, $first: Int!) {
  person(id: $id) {
    name
    meetings(first: $first) {
      nodes {
        id label date { value }
        participants { ... on Person { id name } ... on Organization { id name } }
        evidence { quote start end source { id } }
      }
    }
  }
}"""

DATASETTE_GRAPHQL = """query Meetings($id: String!, $first: Int!) {
  people(filter: {id: {eq: $id}}) {
    nodes {
      name
      meeting_participants_list(first: $first, sort: meeting) {
        nodes {
          meeting {
            id label date
            meeting_participants_list { nodes { person { id name } } }
            meeting_evidence_list { nodes { quote start end source { id } } }
          }
        }
      }
    }
  }
}"""

SPARQL = """PREFIX sdo: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?meeting ?label ?date ?person ?name ?quote ?start ?end ?source WHERE {
  { SELECT ?meeting ?date WHERE {
      ?meeting sdo:attendee <%(person)s> ; a sdo:Event .
      OPTIONAL { ?meeting sdo:startDate ?date }
    } ORDER BY ?date ?meeting LIMIT %(first)d }
  ?meeting rdfs:label ?label ; sdo:attendee ?person .
  ?person rdfs:label ?name .
  ?meeting prov:wasDerivedFrom ?evidence .
  ?evidence oa:hasSource ?source ; oa:hasSelector ?position, ?words .
  ?position oa:start ?start ; oa:end ?end .
  ?words oa:exact ?quote .
}"""


def typical_person(kb: Any) -> str:
    """Return the non-hub person whose number of meetings is the median of people with any (ties: lowest id)."""
    return typical_people(kb, 1)[0]


def typical_people(kb: Any, count: int) -> list[str]:
    """Return ``count`` non-hub people around the median number of meetings, the median one first."""
    counts = Counter(p for m in kb.of("meetings").values() for p in m.participants)
    busiest = max(counts.values())  # once: inside the filter it made this quadratic (minutes at 1M facts)
    ordinary = sorted((n, pid) for pid, n in counts.items() if pid.startswith("person-") and pid != HUB
                      and n < busiest // 2)
    middle = len(ordinary) // 2
    around = sorted(range(len(ordinary)), key=lambda i: (abs(i - middle), i))[:count]
    return [ordinary[i][1] for i in around]


def sparql(base_iri: str, person: str, first: int) -> str:
    """Return the SPARQL query for one person's first meetings (IRIs under ``base_iri``)."""
    from kb.vocab import Mint

    return SPARQL % {"person": Mint(base_iri).record("people", person), "first": first}
