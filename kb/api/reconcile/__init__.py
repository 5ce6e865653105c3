"""Reconciliation: matching names as journalists write them to kb's people, organizations, places and topics
(the W3C Entity Reconciliation Community Group's API; HTTP in kb.serve.reconcile, docs/reconcile.md).

    names.py      how a name is folded, and its other forms (nicknames, no initials)
    entities.py   what kb knows of each entity, read from one version's graph
    index.py      the index of one version: built once, in the store pool
    matching.py   scoring one query's candidates, and deciding ``match``
    requests.py   a 0.2 query batch, checked (models mirroring the specification's JSON Schema)
    draft.py      a 1.0-draft query batch, read into the same queries
"""
