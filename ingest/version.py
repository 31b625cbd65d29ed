"""The extractor's version, stamped on every document it reads: the package version and a
digest of the modules that turn a file into tables, facts and chunks. When that code
changes, `budget-qa reingest` knows which documents were read by an older one."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

# Storage, locking and settings change how things are kept, not what a file is read as.
NOT_READING = {"__init__.py", "db.py", "ddl.py", "lock.py", "records.py", "store.py", "vectors.py",
               "embedding.py", "worker.py", "settings.py", "version.py", "backup.py", "check.py",
               "reingest.py", "errors.py"}


@lru_cache(maxsize=1)
def extractor_version() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(here.glob("*.py")):
        if path.name not in NOT_READING:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    try:
        version = metadata.version("budget-qa")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"{version}+{digest.hexdigest()[:12]}"
