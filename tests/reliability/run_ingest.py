"""An ingest in a process of its own, as the CLI does it (open_store, the limited worker,
a message while it waits for another writer), with real SQLite and Chroma and a small
deterministic embedding instead of the model, so a test can start, kill and race it.

    python tests/reliability/run_ingest.py DATA_DIR PATH...   (BUDGETQA_CRASH_AT=point)
"""

from __future__ import annotations

import sys
from pathlib import Path

from langchain_core.embeddings import DeterministicFakeEmbedding

from ingest import Settings, ingest_paths, open_store
from ingest.worker import isolated

DIMENSIONS = 16


def main(data_dir: str, *paths: str) -> int:
    settings = Settings(data_dir=Path(data_dir))
    store = open_store(settings, on_wait=lambda message: print(message, file=sys.stderr, flush=True),
                       embedder=DeterministicFakeEmbedding(size=DIMENSIONS))
    results = ingest_paths([Path(p) for p in paths], store, parse=isolated(settings.limits))
    for r in results:
        print(f"{'✗' if r.error else '='if r.unchanged else '✓'} {Path(r.path).name} {r.doc_id} {r.error}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
