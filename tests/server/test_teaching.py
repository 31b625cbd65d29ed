"""Taught wordings: stored with who and when, undoable, checked before they are taken. The
last two tests need the question path's `Engine(store, vectors, taught=[...])`, which links
taught words like its own vocabulary (the question-path rewrite brings it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import STAFF, MakeClient

from ingest import Store, ingest_paths
from qa import Engine
from server.teaching import TeachingRefused, check_wording, teach
from tests.conftest import SEED

SAID = "小桔灯费"  # a phrase no vocabulary has: the mechanism, not a particular word
NOT_UNDERSTOOD = f"{SAID}是多少？"
FIGURE = re.compile(r"\d+(?:\.\d+)?(?=万元|元|亿元)")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path)
    assert not [r.error for r in ingest_paths([SEED], store) if r.error]
    return store


def test_a_wording_is_stored_with_who_and_when_and_undone_for_the_record(store: Store) -> None:
    generation = store.generation()
    entry = store.teach("吃喝费", "公务接待费", "item", "wang")
    assert store.taught_words() == [("吃喝费", "公务接待费", "item")] and store.generation() > generation
    undone = store.untaught(entry.taught_id, "li")
    assert undone is not None and undone.undone_by == "li" and store.taught_words() == []
    assert store.untaught(entry.taught_id, "li") is None  # once


@pytest.mark.parametrize(("said", "means", "kind", "why"), [
    ("吃喝费", "不存在的行", "item", "行名"), ("社保局", "不存在的单位", "unit", "单位名称"),
    ("公务接待费", "公务接待费", "item", "不同于"), ("吃喝费", "公务接待费", "thing", "kind"),
])
def test_a_wording_that_cannot_be_taught_says_why(store: Store, said: str, means: str, kind: str, why: str) -> None:
    with pytest.raises(Exception, match=why):
        check_wording(store, said, means, kind)


def test_a_wording_taught_twice_is_refused(store: Store) -> None:
    store.teach("吃喝费", "公务接待费", "item", "wang")
    with pytest.raises(Exception, match="已经教过"):
        check_wording(store, "吃喝费", "公务接待费", "item")


def test_the_api_lists_and_undoes_wordings(make_client: MakeClient, store: Store) -> None:
    entry = store.teach("吃喝费", "公务接待费", "item", "wang")
    client = make_client(store.data_dir)
    assert [t["said"] for t in client.get("/api/taught", headers=STAFF).json()] == ["吃喝费"]
    assert client.delete(f"/api/taught/{entry.taught_id}", headers=STAFF).status_code == 200
    assert client.delete(f"/api/taught/{entry.taught_id}", headers=STAFF).status_code == 404
    assert client.get("/api/activity", headers=STAFF).json()[0]["action"] == "untaught"


def test_needs_engine_taught__a_taught_wording_turns_a_not_understood_question_into_the_right_answer(
        store: Store) -> None:
    before = Engine(store).answer(NOT_UNDERSTOOD)
    assert before.status == "not_found" and before.reason == "not_understood"
    teach(store, None, SAID, "公务接待费", "item", "wang", gold=[])
    engine = Engine(store)  # reads store.taught_words() as it loads
    after, builtin = engine.answer(NOT_UNDERSTOOD), engine.answer("公务接待费是多少？")
    assert after.status == "answered" and after.citations
    assert FIGURE.findall(after.answer)[:1] == FIGURE.findall(builtin.answer)[:1] != []  # computed from the facts


def test_needs_engine_taught__a_wording_that_changes_a_gold_answer_is_refused(store: Store) -> None:
    # The gold says the documents do not answer g1 (a refusal item); the wording would answer it.
    gold = [{"id": "g1", "turns": [NOT_UNDERSTOOD]}, {"id": "g2", "turns": ["公务接待费是多少？"]}]
    with pytest.raises(TeachingRefused) as refused:
        teach(store, None, SAID, "公务接待费", "item", "wang", gold)
    assert [c["id"] for c in refused.value.changed] == ["g1"]
    assert refused.value.changed[0]["before"] != refused.value.changed[0]["after"]
    assert store.taught_words() == []  # nothing taught
