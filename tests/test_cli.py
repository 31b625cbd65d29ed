"""Every command has --help; the library works under a thin CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from budget_qa_cli import COMMANDS, main
from ingest import Store, ingest_paths
from ingest.db import SQLITE_FILE
from tests.conftest import ROOT, SEED


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: budget-qa" in capsys.readouterr().out


def test_facts_and_audit_print_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_paths([SEED], Store(tmp_path))
    assert main(["--data-dir", str(tmp_path), "facts", SEED.name, "--json"]) == 0
    facts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(f["code"] == "2080109" and f["value"] == "202.32" for f in facts)
    assert all(f["sources"] == [SEED.name] and f["unit"] for f in facts)
    assert main(["--data-dir", str(tmp_path), "audit", "--json"]) == 0
    assert any(not json.loads(x)["ok"] for x in capsys.readouterr().out.splitlines())
    assert main(["--data-dir", str(tmp_path), "facts", "nope.pdf"]) == 2


def test_documents_shows_the_identity_decided_and_the_tables(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    ingest_paths([SEED], Store(tmp_path))
    assert main(["--data-dir", str(tmp_path), "documents", "--json"]) == 0
    [doc] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert doc["unit"] == "和静县社会保险中心" and doc["year"] == 2024 and doc["files"] == [SEED.name]
    assert "单位预算" in doc["identity"] and "issuer" in doc["identity"]
    assert doc["catalogue"].startswith("应有") and "缺 0" in doc["catalogue"]


def test_ingest_prints_identity_and_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGETQA_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("ingest.open_store", lambda settings, **kw: Store(tmp_path))
    assert main(["ingest", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert "身份：单位 和静县社会保险中心，年度 2024，单位预算" in out
    assert "表格：应有 8 张表" in out and "缺 0" in out


def test_ingest_says_whose_each_problem_is(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed's two prose slips are introduced as the document's own; the cells its text
    extract lost are the reader's, and not used to answer."""
    monkeypatch.setattr("ingest.open_store", lambda settings, **kw: Store(tmp_path))
    assert main(["--data-dir", str(tmp_path), "ingest", str(SEED)]) == 0
    lines = capsys.readouterr().out.splitlines()
    own = next(i for i, x in enumerate(lines) if "本文件自身 2 处前后不一" in x and "原文如此" in x)
    unread = next(i for i, x in enumerate(lines) if "未能确定的数字" in x and "不会用来作答" in x)
    assert [x.split("]")[0].strip() for x in lines[own + 1:own + 3]] == ["!! [prose", "!! [prose"]
    assert all("[parse]" in x for x in lines[unread + 1:unread + 3]) and own < unread
    assert "（文件自身前后不一 2 处，未能读出 2 条）" in lines[-1]


@pytest.mark.slow
def test_a_first_run_prints_no_progress_bar_or_warning(tmp_path: Path) -> None:
    """`ingest` and `ask` as a newcomer runs them: stderr is empty unless --verbose."""
    cli = [sys.executable, "-m", "budget_qa_cli", "--data-dir", str(tmp_path / "data")]
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY", "TQDM_DISABLE", "PYTHONWARNINGS")}
    for args in (["ingest", str(SEED)], ["ask", "三公经费是多少？"]):
        run = subprocess.run([*cli, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
        assert run.returncode == 0 and run.stdout and run.stderr == "", run.stderr[-2000:]
    loud = subprocess.run([*cli, "--verbose", "ask", "三公经费是多少？"], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)
    assert loud.returncode == 0 and "Loading weights" in loud.stderr


def test_a_bad_question_set_is_an_error_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "set.jsonl"
    bad.write_text('{"id": "x1", "kind": "refusal", "turns": ["q"], "answer": {"refusal": true}}\n', encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "d"), "eval", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "set.jsonl:1" in err and "not_found" in err and "Traceback" not in err
    assert main(["--data-dir", str(tmp_path / "d"), "eval", str(tmp_path / "missing.jsonl")]) == 2


def _bad_values() -> list[tuple[str, str]]:
    """Every number-valued setting given a word, and the positive ones a zero."""
    from server.settings import ServerSettings

    out = []
    for name, field in ServerSettings.model_fields.items():
        if field.annotation in (int, float):
            out.append((f"BUDGETQA_{name.upper()}", "many"))
        if any(getattr(m, "gt", None) == 0 for m in field.metadata):
            out.append((f"BUDGETQA_{name.upper()}", "0"))
    return out


@pytest.mark.parametrize(("variable", "value"), _bad_values())
def test_a_bad_setting_is_named_and_nothing_starts(variable: str, value: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["--data-dir", str(tmp_path), "serve", "--port", "9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {variable}=") and "Traceback" not in err
    assert not (tmp_path / SQLITE_FILE).exists()
