"""Dates and durations a curator writes: one check (kb.model.dates) that validate, export and serve all apply.

A date is YYYY, YYYY-MM or YYYY-MM-DD in ASCII digits and on the calendar. Found by an operator: a YAML
``"2023-07\\n"`` crashed validate, export and serve with ``KeyError: 8``; Arabic-Indic (``٢٠٢٣-٠٧-٠٤``) and
fullwidth (``２０２３-07-04``) digits passed ``kb validate`` and were exported as malformed literals. Each bad
value here goes through the real ``kb validate`` and ``kb export`` commands and a live-reloading server, which
must all refuse it with the same ``path:line:col: field: reason`` and exit 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from kb.api.types.date import DateValue
from kb.api.types.enums import DatePrecision
from kb.cli import main
from kb.config import Settings
from kb.graph import ntriples
from kb.load import fastyaml, loader
from kb.model import dates
from kb.serve import served as serving
from kb.serve.app import create_app
from kb.serve.reload import attach

BASE = Path(__file__).parent / "malformed" / "_base"
MEETING_DATE = '    value: "2023-07-13"\n'  # curation/meetings.yaml, line 8 of the base

FORM = "expected a date as YYYY, YYYY-MM or YYYY-MM-DD"
SPACE = f"{FORM}, without spaces or line breaks around it"

BAD_DATES = {
    "2023-07\n": SPACE,  # the operator's case: `$` matched before the line break, then KeyError: 8
    "2023-07-04\n": SPACE,
    "\n2023": SPACE,
    " 2023-07": SPACE,
    "2023\t": SPACE,
    "٢٠٢٣-٠٧-٠٤": f"{FORM}, in ASCII digits 0-9, not '٢' (U+0662 ARABIC-INDIC DIGIT TWO)",
    "٢٠٢٣-٠٧": f"{FORM}, in ASCII digits 0-9, not '٢' (U+0662 ARABIC-INDIC DIGIT TWO)",
    "٢٠٢٣": f"{FORM}, in ASCII digits 0-9, not '٢' (U+0662 ARABIC-INDIC DIGIT TWO)",
    "2023-07-0٤": f"{FORM}, in ASCII digits 0-9, not '٤' (U+0664 ARABIC-INDIC DIGIT FOUR)",
    "۲۰۲۳": f"{FORM}, in ASCII digits 0-9, not '۲' (U+06F2 EXTENDED ARABIC-INDIC DIGIT TWO)",
    "２０２３-07-04": f"{FORM}, in ASCII digits 0-9, not '２' (U+FF12 FULLWIDTH DIGIT TWO)",
    "२०२३": f"{FORM}, in ASCII digits 0-9, not '२' (U+0968 DEVANAGARI DIGIT TWO)",
    "𝟐𝟎𝟐𝟑": f"{FORM}, in ASCII digits 0-9, not '𝟐' (U+1D7D0 MATHEMATICAL BOLD DIGIT TWO)",
    "2023-02-30": "day is out of range for month",
    "2023-02-29": "day is out of range for month",
    "2023-13": "month must be in 1..12",
    "2023-00-10": "month must be in 1..12",
    "0000": "year 0 is out of range",
    "": FORM,
    "2023-7-4": FORM,
    "20230704": FORM,  # date.fromisoformat takes these three; kb does not
    "2023-W27-2": FORM,
    "2023-07-04T10:00": FORM,
    "2023/07/04": FORM,
    "+2023": FORM,
    "2023\u200b": FORM,  # a zero-width space is not whitespace to str.strip: the general reason
}
GOOD_DATES = {"2023": "year", "2023-07": "month", "2023-07-04": "day", "2024-02-29": "day", "0001-01-01": "day"}


@pytest.mark.parametrize(("value", "reason"), BAD_DATES.items())
def test_one_function_refuses_each_bad_date_with_its_reason(value: str, reason: str) -> None:
    assert dates.problem(value) == reason
    with pytest.raises(ValueError) as raised:
        dates.check(value)
    assert str(raised.value) == reason


@pytest.mark.parametrize(("value", "precision"), GOOD_DATES.items())
def test_partial_dates_are_dates(value: str, precision: str) -> None:
    assert dates.problem(value) is None and dates.check(value) == value
    assert dates.precision(value) == precision


def test_earliest_and_latest_day_of_a_partial_date() -> None:
    assert (dates.earliest("2024-02"), dates.latest("2024-02")) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert (dates.earliest("2023"), dates.latest("2023")) == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert dates.latest("2023-07-04") == dt.date(2023, 7, 4)
    with pytest.raises(ValueError, match="ASCII digits"):
        dates.latest("٢٠٢٣")


def test_graph_writer_asks_the_same_function() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert ntriples.date("2023") == f'"2023"^^<{xsd}gYear>'
    assert ntriples.date("2023-07") == f'"2023-07"^^<{xsd}gYearMonth>'
    assert ntriples.date("2023-07-04") == f'"2023-07-04"^^<{xsd}date>'
    assert ntriples.date_property("2023-07").endswith("#inXSDgYearMonth>")
    for value, reason in BAD_DATES.items():  # a clear ValueError, never KeyError: 8 nor a malformed literal
        with pytest.raises(ValueError) as raised:
            ntriples.date(value)
        assert str(raised.value) == reason


def test_api_reads_a_served_date_with_the_same_function() -> None:
    date = DateValue(literal="2023-07", instant=None)
    assert (date.precision(), date.earliest(), date.latest()) == (
        DatePrecision.MONTH, dt.date(2023, 7, 1), dt.date(2023, 7, 31))
    assert DateValue(literal="2023", instant=None).latest() == dt.date(2023, 12, 31)
    bad = DateValue(literal="٢٠٢٣-٠٧-٠٤", instant=None)  # e.g. from a remote store kb did not write
    for field in (bad.precision, bad.earliest, bad.latest):
        with pytest.raises(ValueError, match="ASCII digits"):
            field()


def _project(tmp: Path, old: str, new: str, file: str = "meetings.yaml") -> Path:
    root = tmp / "kb"
    shutil.copytree(BASE, root)
    path = root / "curation" / file
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), "utf-8")
    return root


def _quoted(value: str) -> str:
    """``value`` as a YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)  # a traceback fails the test


def _refused_everywhere(root: Path, expected: str) -> None:
    """``kb validate``, ``kb export`` and a reloading server all refuse ``root`` with ``expected``."""
    validated = _invoke("validate", "--root", str(root))
    assert (validated.exit_code, validated.stdout, validated.stderr) == (2, "", expected)
    out = root.parent / "kb.ttl"
    exported = _invoke("export", "--root", str(root), "-o", str(out))
    assert (exported.exit_code, exported.stderr) == (2, expected)
    assert not out.exists()
    for fmt in ("nt", "jsonld", "trig"):
        assert _invoke("export", "--root", str(root), "--format", fmt).exit_code == 2

    served_root = root.parent / "served"
    shutil.copytree(BASE, served_root)
    settings = Settings(root=served_root)
    app = create_app(settings, serving.build(settings))
    reloader = attach(app, settings)
    shutil.rmtree(served_root / "curation")
    shutil.copytree(root / "curation", served_root / "curation")
    assert reloader.rebuild() is False
    assert reloader.status.errors == expected.splitlines()[:-1]

    async def health() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb.test") as http:
            return await http.get("/health")

    body = asyncio.run(health()).json()
    assert body["status"] == "stale" and body["reload"]["errors"] == expected.splitlines()[:-1]


@pytest.mark.parametrize("value", ["2023-07\n", "٢٠٢٣-٠٧-٠٤", "２０２３-07-04", "٢٠٢٣-٠٧", "2023-02-30", "2023-7-4"])
def test_a_bad_meeting_date_is_refused_by_validate_export_and_serve(value: str, tmp_path: Path) -> None:
    root = _project(tmp_path, MEETING_DATE, f"    value: {_quoted(value)}\n")
    expected = f"curation/meetings.yaml:8:5: date.value: {BAD_DATES[value]}, got {value!r}\n1 error(s)\n"
    _refused_everywhere(root, expected)


@pytest.mark.parametrize("value", BAD_DATES)
def test_every_bad_date_is_refused_by_validate_and_export_alike(value: str, tmp_path: Path) -> None:
    root = _project(tmp_path, MEETING_DATE, f"    value: {_quoted(value)}\n")
    got = repr(value if len(value) <= 60 else value[:57] + "...")
    expected = f"curation/meetings.yaml:8:5: date.value: {BAD_DATES[value]}, got {got}\n1 error(s)\n"
    validated = _invoke("validate", "--root", str(root))
    exported = _invoke("export", "--root", str(root))
    assert (validated.exit_code, validated.stderr) == (2, expected)
    assert (exported.exit_code, exported.stderr, exported.stdout) == (2, expected, "")


@pytest.mark.parametrize(("file", "old", "field", "line"), [
    ("sources.yaml", '  published: "2023-07-13"\n', "published", "7:3"),
    ("roles.yaml", "  title: Secretary of State\n", "start.value", "6:5"),
])
def test_every_date_field_is_checked_alike(file: str, old: str, field: str, line: str, tmp_path: Path) -> None:
    value = "٢٠٢٣-٠٧-٠٤"
    new = (f"  published: {_quoted(value)}\n" if field == "published"
           else f"{old}  start:\n    value: {_quoted(value)}\n")
    root = _project(tmp_path, old, new, file)
    expected = f"curation/{file}:{line}: {field}: {BAD_DATES[value]}, got {value!r}\n1 error(s)\n"
    _refused_everywhere(root, expected)


@pytest.mark.parametrize("value", ["2023", "2023-07", "2023-07-13"])
def test_good_dates_of_every_precision_validate_and_export(value: str, tmp_path: Path) -> None:
    root = _project(tmp_path, MEETING_DATE, f"    value: {_quoted(value)}\n")
    assert _invoke("validate", "--root", str(root)).exit_code == 0
    exported = _invoke("export", "--root", str(root), "--format", "nt")
    datatype = {"year": "gYear", "month": "gYearMonth", "day": "date"}[dates.precision(value)]
    assert exported.exit_code == 0
    assert f'"{value}"^^<http://www.w3.org/2001/XMLSchema#{datatype}>' in exported.stdout


@pytest.mark.parametrize("scalar", ["2023-07-13", "2023-02-30", "2023-7-4", "٢٠٢٣-٠٧-٠٤", "2023-07-13 ", "2023"])
def test_an_unquoted_yaml_date_reads_the_same_on_both_parsers(scalar: str, tmp_path: Path) -> None:
    text = BASE.joinpath("curation/meetings.yaml").read_text("utf-8").replace(MEETING_DATE, f"    value: {scalar}\n")
    reference = loader.parse_text(text, "curation/meetings.yaml", "meetings").records
    fast = fastyaml.parse(text, loader.MAX_DEPTH)
    assert fast is None or fast[0] == reference  # None: the fast path leaves the file to ruamel
    root = _project(tmp_path, MEETING_DATE, f"    value: {scalar}\n")
    validated, exported = _invoke("validate", "--root", str(root)), _invoke("export", "--root", str(root))
    # kb validate also warns (an article's publisher without a byline span or basis); kb export does not.
    errors = "".join(line for line in validated.stderr.splitlines(True) if not line.startswith("warning: "))
    assert validated.exit_code == exported.exit_code and errors == exported.stderr
    value = reference[0]["date"]["value"]
    if isinstance(value, str) and dates.problem(value) is None:
        assert validated.exit_code == 0
    else:
        assert validated.exit_code == 2 and validated.stderr.startswith("curation/meetings.yaml:8:5: date.value: ")


DURATION = "  - value: PT1H30M\n"  # curation/meetings.yaml, line 12 of the base
DURATION_FORM = "expected an ISO 8601 duration such as PT1H30M"


@pytest.mark.parametrize(("value", "reason"), [
    ("PT١H", f"{DURATION_FORM}, in ASCII digits 0-9, not '١' (U+0661 ARABIC-INDIC DIGIT ONE)"),
    ("P٣D", f"{DURATION_FORM}, in ASCII digits 0-9, not '٣' (U+0663 ARABIC-INDIC DIGIT THREE)"),
    ("PT１H", f"{DURATION_FORM}, in ASCII digits 0-9, not '１' (U+FF11 FULLWIDTH DIGIT ONE)"),
    ("PT1H30M\n", DURATION_FORM),
    ("PT", DURATION_FORM),
    ("P", DURATION_FORM),
])
def test_a_bad_duration_is_refused_by_validate_export_and_serve(value: str, reason: str, tmp_path: Path) -> None:
    root = _project(tmp_path, DURATION, f"  - value: {_quoted(value)}\n")
    _refused_everywhere(root, f"curation/meetings.yaml:12:5: duration.0.value: {reason}, got {value!r}\n1 error(s)\n")


@pytest.mark.parametrize("value", ["PT1H30M", "P1D", "PT45S", "P2DT3H"])
def test_good_durations_validate(value: str, tmp_path: Path) -> None:
    root = _project(tmp_path, DURATION, f"  - value: {value}\n")
    result = _invoke("validate", "--root", str(root))
    assert result.exit_code == 0, result.stderr
