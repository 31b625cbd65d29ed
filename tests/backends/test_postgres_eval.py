"""Slow: the seed and the real PDFs the gold sets ask about, ingested through the CLI with the
real embedding model into PostgreSQL + a Chroma server and into SQLite + the embedded
Chroma; `budget-qa eval` scores both alike, reply for reply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED

pytestmark = pytest.mark.slow

EVAL = ROOT.parent / "shared" / "eval"
REAL = ROOT.parent / "shared" / "corpus" / "real"
CLI = Path(sys.executable).parent / "budget-qa"


def budget_qa(data: Path, *args: str, **env: str) -> str:
    environment = {**os.environ, "BUDGETQA_CACHE_DIR": os.environ.get(
        "BUDGETQA_CACHE_DIR", str(Path.home() / ".cache" / "budget-qa")), **env}
    done = subprocess.run([str(CLI), "--data-dir", str(data), *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def scores(report: str) -> str:
    """The report without its timings."""
    return "\n".join(line for line in report.splitlines() if not line.startswith("latency"))


def test_the_eval_scores_alike_on_postgres_and_a_chroma_server(database_url: str, chroma_url: str,
                                                               tmp_path: Path) -> None:
    gold = {"seed": EVAL / "seed_qa.jsonl", "real": EVAL / "real_qa.jsonl"}
    if not all(p.exists() for p in gold.values()):
        pytest.skip("the shared gold sets are not beside this checkout")
    asked = sorted({json.loads(line)["doc"] for line in gold["real"].read_text(encoding="utf-8").splitlines()
                    if line.strip()})
    files = [str(SEED), *(str(REAL / name) for name in asked)]
    servers = {"BUDGETQA_DATABASE_URL": database_url, "BUDGETQA_CHROMA_URL": chroma_url}
    reports: dict[str, dict[str, str]] = {}
    for backend, env in (("sqlite", {}), ("postgres", servers)):
        data = tmp_path / backend
        budget_qa(data, "ingest", *files, **env)
        reports[backend] = {}
        for name, path in gold.items():
            report = budget_qa(data, "eval", str(path), "--out", str(tmp_path / f"{backend}-{name}.jsonl"), **env)
            reports[backend][name] = report
    assert not (tmp_path / "postgres" / "budgetqa.sqlite").exists()  # nothing went to SQLite
    assert not (tmp_path / "postgres" / "chroma").exists()  # nor to an embedded Chroma
    for name in gold:
        print(f"{name} (PostgreSQL + Chroma server):\n{reports['postgres'][name]}")  # shown with -s
        assert scores(reports["postgres"][name]) == scores(reports["sqlite"][name]), reports
        pg = (tmp_path / f"postgres-{name}.jsonl").read_text(encoding="utf-8")
        assert pg == (tmp_path / f"sqlite-{name}.jsonl").read_text(encoding="utf-8")
    accuracy = float(reports["postgres"]["seed"].split("%")[0].split()[-1])
    assert accuracy >= 85.0 and "unsupported figures 0" in reports["postgres"]["seed"]
