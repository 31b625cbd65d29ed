"""The real app served by uvicorn in a process of its own, over real SQLite and Chroma
with a small deterministic embedding (the model is not what these tests are about).

    python tests/reliability/serve_app.py DATA_DIR PORT TOKEN   (BUDGETQA_* settings apply)
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from langchain_core.embeddings import DeterministicFakeEmbedding

from ingest import open_store
from qa import Engine
from server.app import create_app
from server.settings import ServerSettings


def main(data_dir: str, port: str, token: str) -> None:
    settings = ServerSettings(data_dir=Path(data_dir), admin_token=token, rate_limit_per_minute=0)
    store = open_store(settings, embedder=DeterministicFakeEmbedding(size=16))
    app = create_app(settings, engine=Engine(store, store.vectors))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")


if __name__ == "__main__":
    main(*sys.argv[1:])
