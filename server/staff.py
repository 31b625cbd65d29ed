"""Staff accounts: one token per person, shown once and stored only as its scrypt hash, so a
copy of the database gives nobody a way in. A token reads `bqa_<id>_<secret>`: the id finds
its row (one hash to check, not one per account), the secret is 32 random bytes.
`BUDGETQA_ADMIN_TOKEN` stays the bootstrap account, named `admin`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from ingest.db import Database
from ingest.errors import BudgetQAError

SCHEMA = """
CREATE TABLE IF NOT EXISTS staff (token_id TEXT PRIMARY KEY, name TEXT NOT NULL, salt TEXT NOT NULL,
  hash TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, revoked DOUBLE PRECISION);
CREATE INDEX IF NOT EXISTS staff_name ON staff(name);
"""
# scrypt's cost: 16 MiB and ~40 ms a check; a verified token is remembered (by a digest of it)
# so that only a person's first request pays, while a revocation still counts at once.
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
ADMIN = "admin"
NAME_CHARS = 40


@dataclass(frozen=True)
class Account:
    name: str
    token_id: str
    created: float
    revoked: float | None


def _hash(secret: str, salt: str) -> str:
    return hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), **SCRYPT).hex()


class StaffAccounts:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)
        self._verified: dict[str, str] = {}  # sha256(token) → token_id, once scrypt said yes
        self._lock = threading.Lock()

    def add(self, name: str) -> str:
        """A new account's token (shown once; only its hash is kept)."""
        name = name.strip()
        if not name or len(name) > NAME_CHARS or name == ADMIN or any(c.isspace() for c in name):
            raise BudgetQAError(f"a staff name is 1–{NAME_CHARS} characters without spaces, not {ADMIN!r}")
        if any(a.name == name and a.revoked is None for a in self.accounts()):
            raise BudgetQAError(f"{name} already has a token; `budget-qa staff revoke {name}` first to replace it")
        token_id, secret, salt = secrets.token_hex(4), secrets.token_urlsafe(32), secrets.token_hex(16)
        with self.db.transaction() as db:
            db.execute("INSERT INTO staff (token_id, name, salt, hash, created) VALUES (?, ?, ?, ?, ?)",
                       (token_id, name, salt, _hash(secret, salt), time.time()))
        return f"bqa_{token_id}_{secret}"

    def revoke(self, name: str) -> int:
        """Revokes every active token of `name`; how many."""
        return self.db.execute("UPDATE staff SET revoked=? WHERE name=? AND revoked IS NULL",
                               (time.time(), name)).rowcount

    def accounts(self) -> list[Account]:
        rows = self.db.execute("SELECT name, token_id, created, revoked FROM staff ORDER BY created")
        return [Account(r[0], r[1], r[2], r[3]) for r in rows]

    def any_active(self) -> bool:
        return self.db.execute("SELECT 1 FROM staff WHERE revoked IS NULL LIMIT 1").fetchone() is not None

    def who(self, token: str) -> str | None:
        """The name of the active account this token belongs to, or None."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "bqa":
            return None
        row = self.db.execute("SELECT name, salt, hash FROM staff WHERE token_id=? AND revoked IS NULL",
                              (parts[1],)).fetchone()
        if row is None:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            if self._verified.get(digest) == parts[1]:
                return str(row[0])
        if not hmac.compare_digest(_hash(parts[2], row[1]), row[2]):
            return None
        with self._lock:
            self._verified[digest] = parts[1]
        return str(row[0])
