"""The one check of a date: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, in ASCII digits, on the calendar.

Every place that reads a date a curator wrote asks here: the record models (so ``kb validate``, ``kb export``
and ``kb serve`` refuse the same values), the graph's literal writer, the API and the YAML fast path. Python's
``\\d`` also matches Arabic-Indic (``٢٠٢٣``) or fullwidth (``２０２３``) digits, and ``$`` matches before a
final line break (``"2023-07\\n"``); both let values through that no RDF store reads as a date, so the form is
spelt with ``[0-9]`` and matched in full.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from typing import Literal

Precision = Literal["year", "month", "day"]

_FORM = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_PRECISIONS: dict[int, Precision] = {4: "year", 7: "month", 10: "day"}

FORM = "expected a date as YYYY, YYYY-MM or YYYY-MM-DD"

SCHEMA_PATTERN = r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$"
"""The same form for JSON Schema editors (ECMA-262, where ``\\d`` is ASCII only and ``$`` ends the text).
The calendar is checked by ``kb validate`` alone: 2023-02-30 passes the pattern."""


def non_ascii_digit(value: str) -> str | None:
    """Return a description of the first digit in ``value`` that is not ASCII 0-9, or None."""
    for char in value:
        if char.isdigit() and not "0" <= char <= "9":
            return f"{char!r} (U+{ord(char):04X} {unicodedata.name(char, 'DIGIT')})"
    return None


def problem(value: str) -> str | None:
    """Return why ``value`` is not a date kb accepts, or None when it is one."""
    match = _FORM.fullmatch(value)
    if match is None:
        digit = non_ascii_digit(value)
        if digit is not None:
            return f"{FORM}, in ASCII digits 0-9, not {digit}"
        if value != value.strip():
            return f"{FORM}, without spaces or line breaks around it"
        return FORM
    year, month, day = match.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:  # 2023-02-30, 2023-13, 0000
        return str(exc)
    return None


def check(value: str) -> str:
    """Return ``value`` when it is a date; raise ValueError saying why not (the models' validator)."""
    reason = problem(value)
    if reason is not None:
        raise ValueError(reason)
    return value


def precision(value: str) -> Precision:
    """Return how precise a date is. Raises ValueError for what is not a date."""
    return _PRECISIONS[len(check(value))]


def earliest(value: str) -> dt.date:
    """Return the first day a date may be (2023-07 -> 2023-07-01). Raises ValueError for what is not one."""
    year, month, day = _parts(value)
    return dt.date(year, month or 1, day or 1)


def latest(value: str) -> dt.date:
    """Return the last day a date may be (2023-07 -> 2023-07-31). Raises ValueError for what is not one."""
    year, month, day = _parts(value)
    month = month or 12
    return dt.date(year, month, day or calendar.monthrange(year, month)[1])


def _parts(value: str) -> tuple[int, int | None, int | None]:
    match = _FORM.fullmatch(check(value))
    assert match is not None  # check() matched it
    year, month, day = match.groups()
    return int(year), int(month) if month else None, int(day) if day else None
