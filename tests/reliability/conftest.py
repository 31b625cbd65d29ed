"""Running, killing and comparing ingests in processes of their own."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from langchain_core.embeddings import DeterministicFakeEmbedding

from ingest import Settings, Store, open_store
from ingest.store import EMBEDDED

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def start_ingest(data_dir: Path, *paths: Path, crash_at: str = "", **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "BUDGETQA_CRASH_AT": crash_at, **env}
    return subprocess.Popen([sys.executable, str(HERE / "run_ingest.py"), str(data_dir), *map(str, paths)],
                            cwd=ROOT, env=environment, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_ingest(data_dir: Path, *paths: Path, crash_at: str = "") -> subprocess.CompletedProcess[str]:
    process = start_ingest(data_dir, *paths, crash_at=crash_at)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def reopen(data_dir: Path) -> Store:
    """The store as the next process opens it: Chroma reconciled with SQLite."""
    return open_store(Settings(data_dir=data_dir), embedder=DeterministicFakeEmbedding(size=16))


def state(store: Store) -> dict[str, Any]:
    """Everything a clean ingest determines, comparable across data dirs."""
    return {
        "documents": sorted((d.doc_id, d.title, d.pages, d.source) for d in store.documents()),
        "facts": sorted((f.doc_id, f.table, f.code or "", f.row, f.column, str(f.value), f.page or 0)
                        for f in store.facts()),
        "chunks": sorted(c.chunk_id for c in store.chunks()),
        "findings": len(store.findings()),
    }


def assert_consistent(data_dir: Path, store: Store) -> None:
    """SQLite intact, and Chroma holds exactly the embedded chunks SQLite holds."""
    db = sqlite3.connect(data_dir / "budgetqa.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    assert store.vectors is not None and store.pending_vectors() == 0
    embedded = {c.chunk_id for c in store.chunks() if c.kind in EMBEDDED}
    assert store.vectors.ids() == embedded
