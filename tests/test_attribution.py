"""kb/load/attribution.py: a statement's evidence is words the article attributes, not its narration; hedging
words in a stated claim's span are pointed out."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from kb.cli import main
from kb.load.attribution import attributed, hedges, problems
from kb.model.records import Evidence, Link, Sanction, Statement
from tests.kbs import ROOT, knowledge_base

TEXT = ("The ministry met on Monday. Officials were targeted in the hack.\n"
        "“We will respond,” the official said. He added that talks would go on.\n"
        "The talks are likely to resume, according to a readout.\n")


def span(quote: str) -> Evidence:
    start = TEXT.index(quote)
    return Evidence(source="a", quote=quote, start=start, end=start + len(quote))


def test_narration_is_not_attributed() -> None:
    assert not attributed(TEXT, span("Officials were targeted in the hack."))


def test_a_quotation_or_a_sentence_of_speech_is() -> None:
    assert attributed(TEXT, span("We will respond"))
    assert attributed(TEXT, span("talks would go on"))  # "He added"
    assert attributed(TEXT, span("The talks are likely to resume"))  # "according to a readout"


def test_the_seeds_statements_cite_attributed_words_only() -> None:
    kb = knowledge_base("real")
    assert [(sid, p) for sid, st in kb.statements.items() for p in problems(st, kb)] == []


def test_bloombergs_raimondo_narration_is_reported_for_a_statement() -> None:
    kb = knowledge_base("real").copy()
    statement = kb.statements["statement-us-officials-hackers-email-2023-07-12"]
    assert isinstance(statement, Statement)
    text = kb.articles["bloomberg-2023-07-13-jakarta"].text
    quote = "Commerce Secretary Gina Raimondo was among those targeted."
    start = text.index(quote)
    narration = Evidence(source="bloomberg-2023-07-13-jakarta", quote=quote, start=start, end=start + len(quote))
    wrong = statement.model_copy(update={"evidence": [*statement.evidence, narration]})
    [(key, _, message)] = list(problems(wrong, kb))
    assert key == ("evidence", len(statement.evidence)) and "narration" in message


def test_hedging_words_in_a_stated_span_are_hinted_unless_hedged() -> None:
    kb = knowledge_base("real")
    sanction = kb.sanctions["sanction-us-li-shangfu-2018"]
    assert isinstance(sanction, Sanction)
    assert list(hedges(sanction)) == []  # the hedge is on its link
    text = kb.articles["bloomberg-2023-07-13-jakarta"].text
    quote = "likely a reference to the US sanctioning Chinese Defense Minister Li Shangfu"
    start = text.index(quote)
    plain = Link(of="related-statement statement-beijing-lift-sanctions-before-military-talks", evidence=[
        Evidence(source="bloomberg-2023-07-13-jakarta", quote=quote, start=start, end=start + len(quote))])
    found = list(hedges(sanction.model_copy(update={"links": [plain]})))
    assert [(key, "'likely'" in message) for key, _, message in found] == [(("links", 0, "evidence", 0), True)]


def test_kb_validate_warns_without_failing(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tests" / "fixtures" / "mini", tmp_path, dirs_exist_ok=True)
    sources = tmp_path / "curation" / "sources.yaml"
    text = sources.read_text("utf-8")
    sources.write_text(text[: text.rindex("  links:")], "utf-8")  # geo-jakarta's byline and publisher
    result = CliRunner().invoke(main, ["validate", "--root", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 2 and all("geo-jakarta" in line for line in warned)
    result = CliRunner().invoke(main, ["validate", "--root", str(ROOT), "--no-shapes", "--quiet"])
    assert result.exit_code == 0 and "warning:" not in result.output
