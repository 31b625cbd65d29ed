"""The operator's commands on a real store (SQLite, Chroma with a small deterministic
embedding): check finds removed and orphan vectors and --repair fixes them; backup and
restore; reingest re-reads originals and says what changed; originals and stamps kept."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from budget_qa_cli import main
from ingest import Settings, Store, ingest_paths, open_store
from ingest.backup import backup, restore
from ingest.check import check_store
from ingest.reingest import reingest
from ingest.version import extractor_version
from tests.conftest import SEED

FAKE = DeterministicFakeEmbedding(size=16)


def _store(data: Path) -> Store:
    return open_store(Settings(data_dir=data), embedder=FAKE)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    store = _store(tmp_path / "data")
    [result] = ingest_paths([SEED], store)
    assert not result.error and result.encoding == "UTF-8"
    store.close()
    return tmp_path / "data"


def test_an_ingest_keeps_the_original_and_stamps_the_extractor(data: Path) -> None:
    store = Store(data)
    [(sha, name, size)] = store.originals()
    assert store.original(sha) == SEED.read_bytes() and size == len(SEED.read_bytes()) and name == SEED.name
    assert set(store.extractor_stamps().values()) == {extractor_version()}
    store.delete_document(store.documents()[0].doc_id)
    assert store.originals() == []  # the original goes with the last document read from it


def test_check_finds_removed_and_orphan_vectors_and_repair_fixes_them(data: Path) -> None:
    store = _store(data)
    assert check_store(store).ok
    assert store.vectors is not None
    removed = sorted(store.vectors.ids())[:3]
    store.vectors.delete(removed)
    store.vectors.upsert([store.chunks()[0].__class__("orphan", "gone", "prose", "一段孤立的文字", 1, None)])
    report = check_store(store)
    assert not report.ok and (report.missing_vectors, report.orphan_vectors) == (3, 1)
    assert "NOT consistent" in "\n".join(report.lines())
    fixed = check_store(store, repair=True)
    assert fixed.ok and fixed.repaired == {"added": 3, "deleted": 1}
    assert json.loads(json.dumps(fixed.to_json()))["ok"] is True


def test_check_reports_pending_vector_writes(data: Path) -> None:
    store = _store(data)
    store.db.execute("INSERT INTO vector_outbox VALUES ('x', 'delete')")
    assert check_store(store).pending_outbox == 1 and not check_store(store).ok
    assert check_store(store, repair=True).ok


def test_backup_and_restore_give_the_same_facts_and_rebuild_the_vectors(data: Path, tmp_path: Path) -> None:
    source = Store(data)
    source.db.execute("INSERT INTO meta VALUES ('x', 1) ON CONFLICT(key) DO NOTHING")
    manifest = backup(Settings(data_dir=data), tmp_path / "bk")
    assert manifest["counts"]["facts"] == len(source.facts()) > 100
    assert [o["sha256"] for o in manifest["originals"]] == [sha for sha, _, _ in source.originals()]
    with pytest.raises(Exception, match="not empty"):
        backup(Settings(data_dir=data), tmp_path / "bk")
    restore(tmp_path / "bk", Settings(data_dir=tmp_path / "new"))
    restored = _store(tmp_path / "new")  # opening with vectors embeds the passages again
    assert [f for f in restored.facts()] == source.facts()
    assert restored.vectors is not None and check_store(restored).ok and restored.vectors.ids()
    with pytest.raises(Exception, match="already holds a store"):
        restore(tmp_path / "bk", Settings(data_dir=tmp_path / "new"))


def test_a_damaged_backup_is_refused(data: Path, tmp_path: Path) -> None:
    backup(Settings(data_dir=data), tmp_path / "bk")
    with (tmp_path / "bk" / "budgetqa.sqlite").open("r+b") as f:
        f.seek(5000)
        f.write(b"\xff\xff")
    with pytest.raises(Exception, match="damaged"):
        restore(tmp_path / "bk", Settings(data_dir=tmp_path / "new"))
    assert not (tmp_path / "new" / "budgetqa.sqlite").exists()


def test_reingest_rereads_documents_of_another_extractor_and_says_what_changed(data: Path) -> None:
    store = _store(data)
    before = store.facts()
    assert reingest(store) == []  # every document was read by this extractor
    store.db.execute("UPDATE documents SET extractor='0.0+old'")
    store.db.execute("UPDATE facts SET value='1.00' WHERE seq = (SELECT MIN(seq) FROM facts WHERE tbl != '正文')")
    [result] = reingest(store)
    assert not result.error and result.was == "0.0+old" and result.changed == 1
    assert "1.00 万元 →" in result.examples[0]
    assert sorted(map(repr, store.facts())) == sorted(map(repr, before))
    assert set(store.extractor_stamps().values()) == {extractor_version()} and check_store(store).ok


def test_reingest_names_a_document_whose_original_was_not_kept(data: Path) -> None:
    store = Store(data)
    store.db.execute("DELETE FROM originals")
    [result] = reingest(store, everything=True)
    assert "not kept" in result.error


def test_cli_check_exits_1_when_inconsistent_and_0_after_repair(data: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    store = _store(data)
    assert store.vectors is not None
    store.vectors.delete(sorted(store.vectors.ids())[:2])
    store.close()
    db = sqlite3.connect(data / "budgetqa.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    args = ["--data-dir", str(data)]  # the CLI loads the shipped model; checking embeds nothing
    assert main([*args, "check", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["missing_vectors"] == 2
    assert main([*args, "backup", str(tmp_path / "cli-bk")]) == 0
    assert "backup in" in capsys.readouterr().out
    assert (tmp_path / "cli-bk" / "manifest.json").exists()
