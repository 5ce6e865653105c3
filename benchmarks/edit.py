"""Editing one file: how long until the new version is loaded and checked, incrementally vs from scratch.

    python benchmarks/edit.py DIR

Copies nothing: edits one meetings file of DIR in place (a label) and puts it back afterwards. Prints JSON:
seconds for the first load (everything), for the reload after the edit (kb.incremental), and for a
from-scratch pipeline.load of the edited knowledge base, plus peak memory.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from kb import pipeline
    from kb.incremental import IncrementalLoader

    root = Path(sys.argv[1])
    target = max((root / "curation" / "meetings").glob("*.yaml"))
    original = target.read_bytes()
    gc.freeze()
    loader = IncrementalLoader(root)
    started = time.perf_counter()
    loader.load()
    first = time.perf_counter() - started
    try:
        target.write_bytes(original.replace(b'label: "Talks', b'label: "Edited talks', 1))
        started = time.perf_counter()
        kb = loader.load()
        reload = time.perf_counter() - started
        assert not loader.stats.full_check, loader.stats.reason
        assert any(m.label.startswith("Edited") for m in kb.of("meetings").values())  # type: ignore[attr-defined]
        started = time.perf_counter()
        pipeline.load(root)
        scratch = time.perf_counter() - started
    finally:
        target.write_bytes(original)
    print(json.dumps({"first_load_s": round(first, 3), "edit_reload_s": round(reload, 3),
                      "from_scratch_s": round(scratch, 3), "files": loader.stats.files,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
