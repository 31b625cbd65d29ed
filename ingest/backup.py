"""Back up and restore a store. A backup is a folder: `budgetqa.sqlite`, a consistent copy
made with SQLite's `VACUUM INTO` (one read transaction: safe while a server answers and
writes), holding the facts, the uploaded originals, taught wordings, the activity record
and the question log; and `manifest.json` with the sha256s of the originals and of the
copy, the counts and the versions. Conversations and rate limits (they hold citizens'
context and IP addresses) are left out. Vectors are not copied: `restore` rebuilds them
from the chunks, as they are derived. On PostgreSQL, pg_dump backs the database up
(docs/operating.md)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from ingest.db import SQLITE_FILE, is_postgres
from ingest.errors import StoreError
from ingest.settings import Settings
from ingest.version import extractor_version

MANIFEST = "manifest.json"
COUNTED = ("documents", "files", "tables", "facts", "chunks", "findings", "originals", "taught", "activity",
           "question_log", "feedback", "gold_items", "staff")
PRIVATE = ("conversations", "rate_limits")  # never in a backup


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _counts(db: sqlite3.Connection) -> dict[str, int]:
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {t: int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in COUNTED if t in names}


def backup(settings: Settings, dest: Path) -> dict[str, Any]:
    """Write the backup folder `dest` (new or empty); returns the manifest."""
    if is_postgres(settings.database_url):
        raise StoreError("the store is in PostgreSQL: back it up with pg_dump (see docs/operating.md)")
    source = Path(settings.data_dir) / SQLITE_FILE
    if not source.exists():
        raise StoreError(f"no store to back up: {source} does not exist")
    if dest.exists() and any(dest.iterdir()):
        raise StoreError(f"{dest} is not empty: a backup goes into a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    copy = dest / SQLITE_FILE
    db = sqlite3.connect(source, timeout=30)
    try:
        db.execute("VACUUM INTO ?", (str(copy),))
    finally:
        db.close()
    out = sqlite3.connect(copy)
    try:
        names = {r[0] for r in out.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in PRIVATE:
            if table in names:
                out.execute(f"DELETE FROM {table}")
        out.commit()
        out.execute("VACUUM")
        originals = [{"sha256": r[0], "name": r[1], "size": int(r[2]),
                      "ok": hashlib.sha256(bytes(r[3])).hexdigest() == r[0]}
                     for r in out.execute("SELECT sha256, name, size, content FROM originals ORDER BY name, sha256")]
        counts = _counts(out)
    finally:
        out.close()
    damaged = [o["name"] for o in originals if not o.pop("ok")]
    if damaged:
        raise StoreError(f"originals whose bytes do not match their sha256: {', '.join(damaged)}")
    manifest = {"made": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "extractor": extractor_version(),
                "database": {"file": SQLITE_FILE, "sha256": _sha256(copy), "bytes": copy.stat().st_size},
                "counts": counts, "originals": originals}
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def restore(src: Path, settings: Settings) -> dict[str, Any]:
    """The backup `src` into the settings' data dir, which must hold no store; checked against
    its manifest before it is used. The vectors are rebuilt when the store is next opened
    with vectors (`restore_store` does it at once)."""
    if is_postgres(settings.database_url):
        raise StoreError("the store is in PostgreSQL: restore it with pg_restore (see docs/operating.md)")
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{src} is not a budget-qa backup: {MANIFEST} cannot be read ({exc})") from exc
    copy = src / manifest["database"]["file"]
    if not copy.exists() or _sha256(copy) != manifest["database"]["sha256"]:
        raise StoreError(f"{copy} is missing or does not match the manifest's sha256: the backup is damaged")
    data_dir = Path(settings.data_dir)
    target = data_dir / SQLITE_FILE
    if target.exists() or (data_dir / "chroma").exists():
        raise StoreError(f"{data_dir} already holds a store: restore into an empty data dir")
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(copy, target)
    db = sqlite3.connect(target)
    try:
        counts = _counts(db)
    finally:
        db.close()
    if counts != manifest["counts"]:
        target.unlink()
        raise StoreError(f"the restored copy does not hold what the manifest counts: {counts} ≠ {manifest['counts']}")
    return manifest
