"""Cut an article into paragraphs and segments so that overlapping evidence spans can all be highlighted.

HTML cannot nest overlapping ``<mark>`` elements, so the text is cut at every span boundary: each segment is a
run of text covered by the same set of spans, and knows that set. A span is known by its code-point offsets
(``start``, ``end``; end exclusive, as in the Web Annotation model and the API's ``Evidence``), so a link to
``#ev-{start}-{end}`` reaches it from any page. Lines (``\\n``) become paragraphs; a span crossing a line break is
cut there too, and keeps its key in both paragraphs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, order=True)
class Span:
    """A highlighted range of the article in code points, end exclusive."""

    start: int
    end: int

    @property
    def key(self) -> str:
        """The span's name in page anchors and data attributes: ``"{start}-{end}"``."""
        return f"{self.start}-{self.end}"


@dataclass(frozen=True)
class Segment:
    """A run of text covered by exactly ``spans`` (empty: plain text); ``opens`` are the spans starting here."""

    start: int
    end: int
    text: str
    spans: tuple[Span, ...] = ()
    opens: tuple[Span, ...] = ()

    @property
    def keys(self) -> str:
        """The covering spans' keys, space separated (for a ``data-spans`` attribute)."""
        return " ".join(span.key for span in self.spans)


def check_spans(text: str, spans: Iterable[tuple[int, int]]) -> list[Span]:
    """Return the distinct spans, sorted. Raises ValueError for a span that is empty or outside the text."""
    found: set[Span] = set()
    for start, end in spans:
        if not 0 <= start < end <= len(text):
            raise ValueError(f"span {start}..{end} is empty or outside the text ({len(text)} code points)")
        found.add(Span(start, end))
    return sorted(found)


def segment(text: str, spans: Iterable[Span], start: int = 0, end: int | None = None) -> list[Segment]:
    """Return the segments of ``text[start:end]``, in order, covering it exactly once.

    Spans reaching outside the window are clipped to it; ``opens`` is left empty (see :func:`mark_openings`).
    """
    end = len(text) if end is None else end
    inside = [s for s in spans if s.start < end and s.end > start]
    cuts = sorted({start, end} | {s.start for s in inside if s.start > start} | {s.end for s in inside if s.end < end})
    segments: list[Segment] = []
    for left, right in pairwise(cuts):
        covering = tuple(s for s in inside if s.start <= left and s.end >= right)
        segments.append(Segment(left, right, text[left:right], covering))
    return segments


def mark_openings(segments: Iterable[Segment], seen: set[Span]) -> list[Segment]:
    """Return the segments with ``opens`` set to the spans appearing for the first time (adds them to ``seen``).

    Usually a span opens where it starts; one starting on a line break opens at its first visible segment.
    """
    marked: list[Segment] = []
    for seg in segments:
        opens = tuple(s for s in seg.spans if s not in seen)
        seen.update(opens)
        marked.append(Segment(seg.start, seg.end, seg.text, seg.spans, opens))
    return marked


def paragraphs(text: str, spans: Iterable[tuple[int, int]]) -> list[list[Segment]]:
    """Return the article as paragraphs (its non-blank lines), each a list of segments.

    The line breaks themselves belong to no paragraph. Raises ValueError for a span outside the text.
    """
    checked = check_spans(text, spans)
    seen: set[Span] = set()
    result: list[list[Segment]] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            result.append(mark_openings(segment(text, checked, offset, offset + len(line)), seen))
        offset += len(line) + 1
    return result
