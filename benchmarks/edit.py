"""Editing one file: how long from a save until the new version is served, as ``kb serve --reload`` does it.

    python benchmarks/edit.py DIR [--edits 5] [--store disk --cache CACHE]

Edits one meetings file of DIR in place (a meeting's label, alternately changed and restored, so every save
is a new version) and puts it back afterwards. Starts the app as ``kb serve --reload`` does (``create_live_app``:
the incremental loader reads everything, the graph is built into an embedded Oxigraph store), then times the reloader's
``rebuild()`` after each save: re-read and re-check the changed file (kb.load.incremental), work out the quads
that change (kb.graph.delta) and patch the served store. Checks each time that the store answers with the new
label. Edits start once the first version's search index is ready, as on a server that has been up a while.
Prints JSON: the start-up seconds, the first index's, every edit's seconds and their median, how each was served
(``patched`` or ``built``) and peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from kb.config import Settings
    from kb.serve.reload import create_live_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--store", default="memory", help="memory (Oxigraph in memory) or disk (kept: kb.graph.kept)")
    parser.add_argument("--cache", type=Path, help="the kept store's folder, for --store disk")
    args = parser.parse_args()
    root: Path = args.root
    target = max((root / "curation" / "meetings").glob("*.yaml"))
    original = target.read_bytes()
    settings = Settings(root=root, store=args.store, cache=args.cache)
    started = time.perf_counter()
    app = create_live_app(settings)  # what kb serve --reload starts
    start_up = time.perf_counter() - started
    served, reloader = app.state.served, app.state.reloader
    if reloader.kb is None:  # opened from a kept build: what the server does beside itself once it answers
        asyncio.run(reloader.adopt(asyncio.Event()))
    # and the search index of the version it starts with, which kb serve starts as it starts serving: edits
    # then meet what they meet on a server that has been up a while (at 100k facts in memory the index takes
    # 15 s of the interpreter; an edit while it builds took 2 to 3 s)
    indexed_at = time.perf_counter()
    first_index = app.state.search_index.serve(served.current)
    if first_index is not None:
        first_index.result()
    index_s = time.perf_counter() - indexed_at
    seconds: list[float] = []
    how: list[str | None] = []
    try:
        for n in range(args.edits):
            edited = original.replace(b'label: "Talks', f'label: "Edit {n}: talks'.encode(), 1)
            target.write_bytes(edited if n % 2 == 0 else original)
            started = time.perf_counter()
            assert reloader.rebuild(), reloader.status
            seconds.append(time.perf_counter() - started)
            how.append(reloader.status.last_build)
            found = bool(served.current.graph.native.query(
                'ASK { ?m <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(STRSTARTS(?l, "Edit ")) }'))
            assert found == (n % 2 == 0), "the store does not answer with the edited label"
    finally:
        target.write_bytes(original)
    print(json.dumps({"start_up_s": round(start_up, 3), "first_index_s": round(index_s, 3),
                      "edits_s": [round(s, 3) for s in seconds],
                      "edit_median_s": round(statistics.median(seconds), 3), "served_by": how,
                      "files": reloader.loader.stats.files,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
