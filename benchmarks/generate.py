"""Generate a synthetic but valid knowledge base of N facts: seeds/ articles and curation/<kind>/*.yaml.

    python benchmarks/generate.py --facts 100000 --out benchmarks/data/100k

A fact is one record of roles, meetings, statements or sanctions; people, organisations, places, topics,
articles and disputes grow with it. Every evidence quote is cut from the article it cites, at the code-point
offsets it records, so the result goes through the real pipeline (``kb validate --root DIR`` passes). Articles
carry non-ASCII text (curly quotes, dashes, accents, Chinese characters and an astral-plane emoji) so offsets
are exercised where code points and UTF-16 units differ. A few "hub" people take part in hundreds of meetings.
The same ``--facts`` and ``--seed`` always give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RECORDS_PER_FILE = 500
FACTS_PER_ARTICLE = 40
HUBS = 3
SHARES = {"roles": 0.15, "meetings": 0.35, "statements": 0.40, "sanctions": 0.10}

FIRST = ("Antony", "Janet", "Gina", "John", "Wang", "Li", "Qin", "Zhao", "Xie", "Dong", "Kurt", "Daniel",
         "Laura", "Nicholas", "Mao", "Han", "Chen", "Liu", "José", "Zoë", "Ngozi", "Sébastien", "Ayşe", "Björn",
         "Emily", "Rahm", "Katherine", "Wendy", "Yang", "Hu", "Xu", "Sun", "Ma", "Guo", "Zhou", "Lin")
LAST = ("Carter", "Miller", "Reyes", "Okafor", "Lindqvist", "Yılmaz", "Ueda", "Kowalski", "Haddad", "Novak",
        "Burns", "Tai", "Sullivan", "Campbell", "Raimondo", "Yellen", "Kerry", "Ning", "Gang", "Yi", "Feng",
        "Jun", "Wei", "Lei", "Ping", "Qiang", "Hui", "Müller", "Álvarez", "Dubois", "O’Neill", "Park")
HANZI = ("王", "李", "秦", "赵", "谢", "董", "毛", "韩", "陈", "刘")
COUNTRIES = ("United States", "China", "Japan", "South Korea", "Philippines", "Vietnam", "Australia", "India",
             "Indonesia", "Germany", "France", "United Kingdom", "Brazil", "Türkiye", "Côte d’Ivoire", "Canada",
             "Mexico", "Singapore", "Malaysia", "Thailand")
CITY_PARTS = ("Port", "San", "New", "Old", "North", "South", "Lake", "Mount", "Saint", "Fort")
CITY_ROOTS = ("Jakarta", "Beijing", "Washington", "Bali", "Manila", "Hanoi", "Osaka", "Lyon", "Kraków", "Tianjin",
              "Da Nang", "Geneva", "Zürich", "Penang", "Cebu", "Busan", "Perth", "Chennai", "Recife", "İzmir")
ORG_KINDS = ("ministry", "department", "party-body", "military", "legislature", "company", "media")
ORG_WORDS = ("Foreign Affairs", "Commerce", "Finance", "Defense", "Trade", "Climate", "Security", "Energy",
             "Technology", "Agriculture", "Health", "Transport")
TOPICS = ("fentanyl", "hacking", "military activity", "trade", "export controls", "climate", "Taiwan",
          "South China Sea", "semiconductors", "sanctions", "human rights", "tariffs", "Ukraine", "North Korea",
          "public health", "student exchanges", "journalists", "visas", "agriculture", "energy", "AI safety",
          "cyber security", "nuclear arms", "space", "fisheries", "rare earths", "debt relief", "shipping",
          "espionage", "balloons")
PUBLISHERS = ("Bloomberg", "Reuters", "Associated Press", "Xinhua", "South China Morning Post", "Nikkei Asia",
              "The Guardian", "Le Monde", "Al Jazeera", "Politico")
ADJECTIVES = ("candid", "constructive", "frank", "in-depth", "substantive", "productive", "tense", "cordial",
              "pragmatic", "businesslike", "difficult", "positive")
VERBS = ("urged", "warned", "called on", "asked", "pressed", "reminded", "told")
NOUNS = ("dialogue", "restraint", "cooperation", "transparency", "stability", "communication", "respect",
         "de-escalation", "fair competition", "mutual trust")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MEETING_KINDS = ("meeting", "talks", "visit", "call", "forum", "news-conference")
CHANNELS = ("readout", "spokesperson", "unnamed-official", "news-conference", "interview", "statement",
            "remarks", "state-media", "website", "report")


def q(text: str) -> str:
    """Return ``text`` as a YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Article:
    """One synthetic article being written: sentences are appended and quotes cut from them."""

    id: str
    file: str
    headline: str
    publisher: str
    published: str
    dateline: str
    parts: list[str] = field(default_factory=list)
    length: int = 0  # code points so far

    def add(self, text: str) -> int:
        """Append ``text``; return the code-point offset where it starts."""
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        return start

    def cite(self, sentence: str, quote: str) -> dict[str, Any]:
        """Append ``sentence`` (which holds ``quote``); return the evidence entry for ``quote``."""
        if self.parts and not self.parts[-1].endswith("\n"):
            self.add("\n\n" if len(self.parts) % 9 == 0 else " ")
        start = self.add(sentence) + sentence.index(quote)
        return {"source": self.id, "quote": quote, "start": start, "end": start + len(quote)}

    def text(self) -> str:
        return "".join(self.parts) + "\n"


class Generator:
    """Builds every record of a synthetic knowledge base of ``facts`` facts, deterministically from ``seed``."""

    def __init__(self, facts: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.facts = max(facts, 20)
        self.counts = {kind: max(2, round(self.facts * share)) for kind, share in SHARES.items()}
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.articles: list[Article] = []

    def ids(self, prefix: str, n: int) -> list[str]:
        return [f"{prefix}-{i:06d}" for i in range(n)]

    def pick(self, seq: list[str] | tuple[str, ...]) -> str:
        return seq[self.rng.randrange(len(seq))]

    def date(self, year_from: int = 2019, year_to: int = 2024) -> str:
        return f"{self.rng.randint(year_from, year_to)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"

    def article(self) -> Article:
        return self.articles[self.rng.randrange(len(self.articles))]

    def build(self) -> dict[str, list[dict[str, Any]]]:
        """Return every record by kind; fills ``self.articles`` with the texts they cite."""
        self.make_articles(max(3, self.facts // FACTS_PER_ARTICLE))
        self.make_places()
        self.make_topics()
        self.make_organizations()
        self.make_people()
        self.make_roles()
        self.make_meetings()
        self.make_statements()
        self.make_sanctions()
        self.make_disputes()
        self.records["sources"] = [self.source_record(a) for a in self.articles]
        return self.records

    def make_articles(self, n: int) -> None:
        for i in range(n):
            publisher = PUBLISHERS[i % len(PUBLISHERS)]
            place = self.pick(CITY_ROOTS).upper()
            headline = f"Envoys meet as {self.pick(TOPICS)} talks resume — report {i}"
            article = Article(f"src-{i:06d}", f"art_{i:06d}.txt", headline, publisher, self.date(2023, 2023),
                              place)
            # The emoji is outside the BMP: offsets after it differ between code points and UTF-16 units.
            article.add(f"{headline}\n🌐 {place} ({publisher}) —")
            self.articles.append(article)

    def source_record(self, a: Article) -> dict[str, Any]:
        text, author = a.text(), f"{self.pick(FIRST)} {self.pick(LAST)}"
        credit = f"({a.publisher})"
        start = text.index(credit)
        curator = "Generated: the curator supplied it."
        # Each piece of metadata has a reason (kb audit): the publisher's credit line is a span of the text.
        links = [{"of": f"author {author}", "basis": "curator", "note": curator},
                 {"of": "publisher", "evidence": [{"source": a.id, "quote": credit, "start": start,
                                                   "end": start + len(credit)}]},
                 {"of": "dateline", "basis": "curator", "note": curator},
                 {"of": "url", "basis": "curator", "note": curator}]
        return {"id": a.id, "file": a.file, "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "publisher": a.publisher, "headline": a.headline, "authors": [author],
                "published": a.published, "published_basis": "stated", "dateline": a.dateline,
                "url": f"https://news.example.org/{a.file}", "language": "en", "links": links}

    def make_places(self) -> None:
        countries = [{"id": f"country-{i:03d}", "name": name, "kind": "country"} for i, name in enumerate(COUNTRIES)]
        cities = []
        for i in range(max(5, self.facts // 100)):
            root = CITY_ROOTS[i % len(CITY_ROOTS)]
            name = root if i < len(CITY_ROOTS) else f"{CITY_PARTS[(i // len(CITY_ROOTS)) % len(CITY_PARTS)]} {root} {i}"
            cities.append({"id": f"city-{i:05d}", "name": name, "kind": "city", "country": self.pick_country()})
        self.records["places"] = countries + cities

    def pick_country(self) -> str:
        return f"country-{self.rng.randrange(len(COUNTRIES)):03d}"

    def make_topics(self) -> None:
        topics: list[dict[str, Any]] = []
        for i in range(len(TOPICS) + self.facts // 500):
            label = TOPICS[i] if i < len(TOPICS) else f"{TOPICS[i % len(TOPICS)]} ({i})"
            record: dict[str, Any] = {"id": f"topic-{i:05d}", "label": label}
            if i >= len(TOPICS):
                record["broader"] = f"topic-{i % len(TOPICS):05d}"
            topics.append(record)
        self.records["topics"] = topics

    def make_organizations(self) -> None:
        orgs: list[dict[str, Any]] = []
        for i, country in enumerate(COUNTRIES):
            orgs.append({"id": f"org-{i:05d}", "name": f"Government of {country}", "kind": "government",
                         "country": f"country-{i:03d}"})
        for i in range(len(COUNTRIES), len(COUNTRIES) + max(5, self.facts // 40)):
            parent = self.rng.randrange(len(COUNTRIES))
            kind = self.pick(ORG_KINDS)
            name = f"Ministry of {self.pick(ORG_WORDS)} of {COUNTRIES[parent]} ({i})"
            orgs.append({"id": f"org-{i:05d}", "name": name, "aliases": [f"MO-{i}"], "kind": kind,
                         "country": f"country-{parent:03d}", "parent": f"org-{parent:05d}"})
        self.records["organizations"] = orgs

    def person_name(self, i: int) -> str:
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        generation = i // (len(FIRST) * len(LAST))
        return f"{first} {last}" + (f" {generation + 1}" if generation else "")

    def make_people(self) -> None:
        people: list[dict[str, Any]] = []
        for i in range(max(10, self.facts // 8)):
            name = self.person_name(i)
            record: dict[str, Any] = {"id": f"person-{i:06d}", "name": name,
                                      "aliases": [f"Mr. {name.split()[1]}", f"{HANZI[i % len(HANZI)]}{i}"],
                                      "country": self.pick_country()}
            if i < HUBS:
                record["description"] = "hub: a senior envoy in hundreds of meetings"
            if i % 10 == 0:
                article = self.article()
                record["evidence"] = [article.cite(f"{name}, who spoke to reporters, declined to comment.", name)]
            people.append(record)
        self.records["people"] = people

    def make_roles(self) -> None:
        roles: list[dict[str, Any]] = []
        people, orgs = self.records["people"], self.records["organizations"]
        for i in range(self.counts["roles"]):
            person, org = people[i % len(people)], orgs[self.rng.randrange(len(orgs))]
            title = (f"{self.pick(('Minister', 'Secretary', 'Director', 'Spokesperson', 'Envoy'))} of "
                     f"{self.pick(ORG_WORDS)}")
            article = self.article()
            evidence = article.cite(f"{person['name']}, {title} at {org['name']}, arrived.", title)
            start = self.date(2015, 2022)
            record: dict[str, Any] = {
                "id": f"role-{i:06d}", "holder": person["id"], "organization": org["id"], "title": title,
                "start": {"value": start[:7] if i % 3 else start},
                "titles": [{"text": title, "evidence": [evidence]}],
            }
            if i % 4 == 0:
                record["end"] = {"value": f"{int(start[:4]) + self.rng.randint(1, 3)}"}
            if i % 7 == 0:
                record["certainty"], record["hedge"] = "hedged", "reportedly"
            roles.append(record)
        self.records["roles"] = roles

    def participants(self, i: int, n_meetings: int) -> list[str]:
        people = self.records["people"]
        chosen = {people[self.rng.randrange(HUBS, len(people))]["id"] for _ in range(self.rng.randint(1, 3))}
        hub_share = min(1 / 3, max(200 / n_meetings, 0.02))
        for hub in range(HUBS):
            if self.rng.random() < hub_share:
                chosen.add(people[hub]["id"])
        return sorted(chosen)

    def make_meetings(self) -> None:
        meetings: list[dict[str, Any]] = []
        names = {p["id"]: p["name"] for p in self.records["people"]}
        places = [p for p in self.records["places"] if p["kind"] == "city"]
        topics = self.records["topics"]
        n = self.counts["meetings"]
        summits = [f"meeting-{i:06d}" for i in range(0, n, 50)]
        labels = {t["id"]: t["label"] for t in topics}
        for i in range(n):
            mid = f"meeting-{i:06d}"
            who = self.participants(i, n)
            place = places[self.rng.randrange(len(places))]
            day, weekday = self.date(2021, 2023), self.pick(WEEKDAYS)
            article = self.article()
            names_text = " and ".join(names[p] for p in who)
            verb = "met" if len(who) > 1 else "travelled"
            quote = f"{names_text} {verb} in {place['name']} (talks {i})"
            evidence = [article.cite(f"On {weekday}, {quote}, officials said.", quote)]
            if i % 5 == 0:
                other = self.article()
                evidence.append(other.cite(f"Reports confirmed that {quote}.", quote))
            record: dict[str, Any] = {
                "id": mid, "kind": "summit" if mid in summits else self.pick(MEETING_KINDS),
                "status": "held" if i % 11 else "planned", "label": f"Talks {i} in {place['name']}",
                "participants": who, "place": place["id"],
                "date": {"value": day, "as_written": weekday, "resolved_against": article.id},
                "topics": sorted({topics[self.rng.randrange(len(topics))]["id"] for _ in range(2)}),
                "evidence": evidence,
            }
            record["links"] = [  # a meeting's topic needs words of its own
                {"of": f"topic {tid}", "evidence": [article.cite(f"They discussed {labels[tid]} (talks {i}).",
                                                                   f"discussed {labels[tid]} (talks {i})")]}
                for tid in record["topics"]]
            if mid not in summits and i % 3 == 0:
                record["occasion"] = summits[self.rng.randrange(len(summits))]
            if i % 2 == 0:
                hours = self.rng.randint(1, 6)
                record["duration"] = [self.version(article, f"the talks lasted {hours} hours", f"PT{hours}H",
                                                   f"{hours} hours")]
                if i % 20 == 0:  # a second source disagrees: a disputed duration
                    other = self.article()
                    record["duration"].append(self.version(other, f"talks ran for {hours + 1} hours",
                                                           f"PT{hours + 1}H", f"{hours + 1} hours"))
            if i % 3 == 0:
                adjective = self.pick(ADJECTIVES)
                record["characterization"] = [self.version(article, f"called the talks “{adjective}”", adjective,
                                                           adjective)]
            if i % 6 == 0:
                record["outcomes"] = [self.version(article, f"agreed to keep {self.pick(NOUNS)} open", None, None)]
            meetings.append(record)
        self.records["meetings"] = meetings

    def version(self, article: Article, quote: str, value: str | None, as_written: str | None) -> dict[str, Any]:
        record: dict[str, Any] = {"evidence": [article.cite(f"Officials said {quote}.", quote)]}
        if value is not None:
            record["value"] = value
        if as_written is not None:
            record["as_written"] = as_written
        return record

    def make_statements(self) -> None:
        statements: list[dict[str, Any]] = []
        people, meetings, topics = self.records["people"], self.records["meetings"], self.records["topics"]
        for i in range(self.counts["statements"]):
            speaker = people[HUBS + self.rng.randrange(len(people) - HUBS) if i % 4 else i % HUBS]
            audience = people[self.rng.randrange(len(people))]
            words = f"We {self.pick(VERBS)} our counterparts to choose {self.pick(NOUNS)} — not confrontation ({i})"
            article = self.article()
            evidence = article.cite(f"“{words},” {speaker['name']} said.", words)
            record: dict[str, Any] = {
                "id": f"statement-{i:06d}", "speaker": speaker["id"], "summary": f"Call for dialogue {i}",
                "channel": self.pick(CHANNELS), "audience": [audience["id"]],
                "topics": [topics[self.rng.randrange(len(topics))]["id"]],
                "date": {"value": self.date(2022, 2023)}, "evidence": [evidence],
            }
            if i % 3 == 0:
                meeting = meetings[self.rng.randrange(len(meetings))]
                record["meeting"] = meeting["id"]
                record["about"] = [meeting["id"], meeting["participants"][0]]
            statements.append(record)
        self.records["statements"] = statements

    def make_sanctions(self) -> None:
        sanctions: list[dict[str, Any]] = []
        people, orgs = self.records["people"], self.records["organizations"]
        statements = self.records["statements"]
        for i in range(self.counts["sanctions"]):
            target = people[self.rng.randrange(len(people))]
            imposer = orgs[self.rng.randrange(len(COUNTRIES))]
            reason = f"purchases of {self.pick(('fighter jets', 'missiles', 'drones', 'radar'))} (case {i})"
            quote = f"{imposer['name']} imposed sanctions on {target['name']} over {reason}"
            record: dict[str, Any] = {
                "id": f"sanction-{i:06d}", "target": target["id"], "imposed_by": imposer["id"],
                "label": f"Sanctions on {target['name']} ({i})", "date": {"value": self.date(2018, 2023)[:7]},
                "reason": reason, "evidence": [self.article().cite(f"In a statement, {quote}.", quote)],
            }
            if i % 2 == 0:
                record["related_statements"] = [statements[self.rng.randrange(len(statements))]["id"]]
            sanctions.append(record)
        self.records["sanctions"] = sanctions

    def make_disputes(self) -> None:
        """Pair every 100th meeting with a rival account from another article: a disputed fact."""
        rivals, disputes = [], []
        for i, meeting in enumerate(self.records["meetings"][::100]):
            article = self.article()
            quote = f"the {meeting['label']} were held a day later"
            rival = {**meeting, "id": f"{meeting['id']}-alt",
                     "evidence": [article.cite(f"Others said {quote}.", quote)]}
            for key in ("duration", "characterization", "outcomes", "occasion"):
                rival.pop(key, None)
            rival["date"] = {"value": meeting["date"]["value"][:7]}
            rivals.append(rival)
            disputes.append({"id": f"dispute-{i:05d}", "label": f"When were {meeting['label']} held?",
                             "facts": [meeting["id"], rival["id"]]})
        self.records["meetings"].extend(rivals)
        self.records["disputes"] = disputes


def dump(value: Any, indent: int) -> Iterator[str]:
    """Yield YAML lines for a record value in block style (lists of scalars in flow style)."""
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict) or (isinstance(item, list) and item and isinstance(item[0], dict)):
                yield f"{pad}{key}:"
                yield from dump(item, indent + 2 if isinstance(item, dict) else indent)
            else:
                yield f"{pad}{key}: {scalar(item)}"
    else:
        for item in value:
            lines = list(dump(item, indent + 2))
            yield f"{pad}- {lines[0].lstrip()}"
            yield from lines[1:]


_RESERVED = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})


def scalar(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, bool | int):
        return json.dumps(value)
    if (isinstance(value, str) and value.replace("-", "").isalnum() and value.isascii() and not value[0].isdigit()
            and value.lower() not in _RESERVED):
        return value  # ids and simple words stay plain, as a curator writes them
    return q(str(value))


def render(records: list[dict[str, Any]]) -> str:
    """Return one curation file's YAML text for ``records``."""
    return "\n".join(dump(records, 0)) + "\n"


def write(out: Path, facts: int, seed: int = 7) -> dict[str, int]:
    """Write seeds/ and curation/<kind>/*.yaml under ``out`` (replacing both); return record counts per kind."""
    generator = Generator(facts, seed)
    records = generator.build()
    for folder in ("seeds", "curation"):
        shutil.rmtree(out / folder, ignore_errors=True)
        (out / folder).mkdir(parents=True)
    for article in generator.articles:
        (out / "seeds" / article.file).write_bytes(article.text().encode())
    for kind, items in records.items():
        (out / "curation" / kind).mkdir()
        for number, begin in enumerate(range(0, len(items), RECORDS_PER_FILE)):
            chunk = items[begin : begin + RECORDS_PER_FILE]
            (out / "curation" / kind / f"{number:04d}.yaml").write_text(render(chunk), "utf-8")
    return {kind: len(items) for kind, items in records.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, required=True,
                        help="number of facts (roles, meetings, statements, sanctions)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write seeds/ and curation/ into")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same bytes)")
    args = parser.parse_args()
    counts = write(args.out, args.facts, args.seed)
    print(json.dumps({"out": str(args.out), "facts": sum(counts[k] for k in SHARES), "counts": counts}))


if __name__ == "__main__":
    main()
