"""Slow: the real embedding model and Chroma, through the CLI, scored on the seed gold set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from budget_qa_cli import main
from tests.conftest import ROOT, SEED

GOLD = ROOT.parent / "shared" / "eval" / "seed_qa.jsonl"


@pytest.mark.slow
def test_ingest_ask_and_eval_with_real_vectors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGETQA_CACHE_DIR", os.environ.get("BUDGETQA_CACHE_DIR",
                                                             str(Path.home() / ".cache" / "budget-qa")))
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "ingest", str(SEED)]) == 0
    assert (tmp_path / "data" / "chroma").exists()
    capsys.readouterr()
    assert main(["--data-dir", data, "ask", "--json", "三公经费是多少？", "比上年增长多少？"]) == 0
    replies = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert "2.28" in replies[0]["answer"] and "0.02" in replies[1]["answer"]
    if not GOLD.exists():
        pytest.skip("the shared gold set is not beside this checkout")
    out = tmp_path / "pred.jsonl"
    assert main(["--data-dir", data, "eval", str(GOLD), "--out", str(out)]) == 0
    report = capsys.readouterr().out
    accuracy = float(report.split("%")[0].split()[-1])
    assert accuracy >= 85.0, report
    assert "unsupported figures 0" in report
    assert len(out.read_text(encoding="utf-8").splitlines()) == 66
