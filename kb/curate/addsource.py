"""``kb add-source``: put a new article into ``seeds/`` byte for byte and write its source record.

The article keeps its exact bytes (offsets count its code points, its sha256 is of those bytes); it must be
UTF-8. It is named as the seeds are, ``NNN_<first 16 hex digits of its sha256>.txt``, NNN one more than the
highest. Its record is appended to ``curation/sources.yaml`` as text, so nothing else in the file moves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from kb.errors import CurationError, CurationErrors, Location
from kb.model import dates
from kb.model.sources import Article

_NUMBERED = re.compile(r"^(\d{3})_")
_SLUG = re.compile(r"[^a-z0-9]+")
MAX_HEADLINE = 300


@dataclass(frozen=True)
class NewSource:
    """What ``kb add-source`` wrote: the record's id, the article's file (under seeds/) and its sha256."""

    id: str
    file: str
    sha256: str
    record: str  # the YAML appended to curation/sources.yaml


def slug(text: str) -> str:
    """Return ``text`` as an id part: lowercase ASCII letters and digits joined by hyphens."""
    return _SLUG.sub("-", text.lower()).strip("-")


def _refuse(path: str, message: str, field: str = "") -> CurationErrors:
    return CurationErrors([CurationError(Location(path, 1, 1), message, field)])


def file_name(seeds: Path, sha256: str) -> str:
    """Return the next seed's file name: ``NNN_<sha256[:16]>.txt``."""
    numbers = [int(m.group(1)) for p in seeds.glob("*.txt") if (m := _NUMBERED.match(p.name))]
    return f"{max(numbers, default=-1) + 1:03d}_{sha256[:16]}.txt"


def record(rid: str, file: str, article: Article, publisher: str, published: str, basis: str,
           headline: str | None, authors: list[str]) -> str:
    """Return the YAML of a source record, as curation/sources.yaml writes them."""
    if headline is None:
        first = next((line.strip() for line in article.text.splitlines() if line.strip()), file)
        headline = first if len(first) <= MAX_HEADLINE else first[: MAX_HEADLINE - 1] + "…"
    lines = [f"- id: {rid}", f"  file: {file}", f'  sha256: "{article.sha256}"',
             f"  publisher: {json.dumps(publisher, ensure_ascii=False)}",
             f"  headline: {json.dumps(headline, ensure_ascii=False)}"]
    lines += ["  authors: []"] if not authors else ["  authors:", *(f"  - {json.dumps(a, ensure_ascii=False)}"
                                                                   for a in authors)]
    lines += [f'  published: "{published}"', f"  published_basis: {basis}", "  language: en"]
    return "\n".join(lines) + "\n"


def add_source(root: Path, data: bytes, publisher: str, published: str, basis: str, rid: str | None = None,
               headline: str | None = None, authors: list[str] | None = None) -> NewSource:
    """Copy ``data`` into seeds/ and append its source record to curation/sources.yaml; return what was written.

    Raises CurationErrors, writing nothing, when the bytes are not UTF-8, the article is already a seed, the
    date is not a date, or the id is taken.
    """
    seeds, sources = root / "seeds", root / "curation" / "sources.yaml"
    try:
        article = Article.from_bytes("new", data)
    except UnicodeDecodeError as exc:
        raise _refuse("seeds", f"the article is not UTF-8 (byte {exc.start}); convert it first") from None
    reason = dates.problem(published)
    if reason is not None:
        raise _refuse("curation/sources.yaml", f"published {published!r}: {reason}", "published")
    for existing in seeds.glob("*.txt"):
        if existing.read_bytes() == data:
            raise _refuse(f"seeds/{existing.name}", "this article is already a seed")
    text = sources.read_text("utf-8") if sources.is_file() else ""
    rid = rid or f"{slug(publisher)}-{published}"
    taken = set(re.findall(r"(?m)^- id: *(\S+)", text))
    if rid in taken:
        raise _refuse("curation/sources.yaml", f"id {rid!r} is taken; give another with --id", "id")
    name = file_name(seeds, article.sha256)
    yaml = record(rid, name, article, publisher, published, basis, headline, authors or [])
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / name).write_bytes(data)
    separator = "" if not text or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    sources.write_text(text + separator + yaml, "utf-8")
    return NewSource(rid, name, article.sha256, yaml)
