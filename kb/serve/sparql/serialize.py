"""The bytes of a /sparql answer, in the worker process (kb.serve.sparql.worker): SELECT rows cut at the row
cap as SPARQL JSON, XML, CSV or TSV; an ASK answer as JSON or XML; triples in any RDF format Oxigraph writes.

SELECT rows are written here rather than by ``QuerySolutions.serialize``: the rows are read once, up to the
cap, and a cut JSON answer says so (``"truncated": true, "rowLimit": N``), which Oxigraph's writer cannot.
Triples are Oxigraph's to write (``pyoxigraph.serialize``), JSON-LD and RDF/XML included.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from kb.graph.terms import Parts, to_json
from kb.serve.sparql.formats import CSV, JSONLD, NQUADS, NTRIPLES, RDFXML, TSV, TURTLE, XML

GRAPH_FORMATS = {TURTLE: ox.RdfFormat.TURTLE, NTRIPLES: ox.RdfFormat.N_TRIPLES, JSONLD: ox.RdfFormat.JSON_LD,
                 RDFXML: ox.RdfFormat.RDF_XML, NQUADS: ox.RdfFormat.N_QUADS}
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _csv_value(term: Parts | None) -> str:
    if term is None:
        return ""
    value, kind = term[0], term[1]
    return f"_:{value}" if kind == "bnode" else value


def _tsv_value(term: Parts | None) -> str:
    """Return a term as SPARQL 1.1 TSV writes it: in Turtle's syntax, IRIs in <>, literals quoted and escaped."""
    if term is None:
        return ""
    value, kind, datatype, lang = term
    if kind == "uri":
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    quoted = '"' + value.translate(_TSV_ESCAPES) + '"'
    if lang:
        return f"{quoted}@{lang}"
    return f"{quoted}^^<{datatype}>" if datatype else quoted


def _xml_term(term: Parts) -> str:
    value, kind, datatype, lang = term
    if kind == "uri":
        return f"<uri>{escape(value)}</uri>"
    if kind == "bnode":
        return f"<bnode>{escape(value)}</bnode>"
    attrs = (f" xml:lang={quoteattr(lang)}" if lang
             else f" datatype={quoteattr(datatype)}" if datatype else "")
    return f"<literal{attrs}>{escape(value)}</literal>"


def select(names: list[str], rows: list[list[Parts | None]], media_type: str, truncated: bool,
           max_rows: int) -> bytes:
    """Return SELECT results as SPARQL JSON (with ``truncated`` and ``rowLimit`` when cut), XML, CSV or TSV."""
    if media_type in (CSV, TSV):
        out = io.StringIO()
        if media_type == CSV:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(names)
            writer.writerows([_csv_value(t) for t in row] for row in rows)
        else:  # TSV has no quoting of its own: a value's tabs and newlines are escaped in its Turtle form
            out.write("\t".join(f"?{n}" for n in names) + "\n")
            out.writelines("\t".join(_tsv_value(t) for t in row) + "\n" for row in rows)
        return out.getvalue().encode()
    if media_type == XML:
        head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
        body = "".join(
            "<result>" + "".join(f"<binding name={quoteattr(n)}>{_xml_term(t)}</binding>"
                                 for n, t in zip(names, row, strict=True) if t is not None) + "</result>"
            for row in rows
        )
        return (f'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>{head}</head>'
                f"<results>{body}</results></sparql>").encode()
    document: dict[str, Any] = {
        "head": {"vars": names},
        "results": {"bindings": [{n: to_json(*t) for n, t in zip(names, row, strict=True) if t is not None}
                                 for row in rows]},
    }
    if truncated:
        document["truncated"] = True
        document["rowLimit"] = max_rows
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ask(answer: bool, media_type: str) -> bytes:
    """Return an ASK answer as SPARQL XML or JSON (the only two result formats that define a boolean)."""
    if media_type == XML:
        return (f'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f"<boolean>{str(answer).lower()}</boolean></sparql>").encode()
    return json.dumps({"head": {}, "boolean": answer}).encode("utf-8")


def triples(found: list[Any], media_type: str) -> bytes:
    """Return pyoxigraph triples in the RDF format ``media_type`` (one of GRAPH_FORMATS)."""
    return ox.serialize(found, format=GRAPH_FORMATS[media_type]) or b""
