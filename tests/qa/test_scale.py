"""A thousand units with confusable names (和静县教育局 / 和硕县教育局 / 新和县财政局): a question
naming one unit and year reaches that document, two named units compare exactly those two,
an unknown sibling is not another unit's figures; the work per question does not grow with
the number of documents; rankings over many documents list the top and table the rest."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from eval.synth import choose_units, generate
from eval.synth_names import DEPARTMENTS, PLACES
from ingest import Store, ingest_paths
from ingest.model import Document
from qa import engine as engine_module
from qa import units as units_module
from qa.engine import Conversation, Engine
from qa.normalise import normalise
from qa.scope import Scope, resolve
from qa.units import Units

N = 1000


def _documents(n: int, seed: int = 7) -> list[Document]:
    return [Document(f"d{i:04d}", f"{place}{dept}{year}年单位预算公开", place + dept, year, "预算",
                     "", "", 1, "")
            for i, (place, dept, year) in enumerate(choose_units(n, random.Random(seed)))]


@pytest.fixture(scope="module")
def thousand() -> tuple[list[Document], Units]:
    docs = _documents(N)
    return docs, Units(docs)


def resolve_scope(q: str, docs: list[Document], current: list[str], gazetteer: Units) -> Scope:
    return resolve(normalise(q), docs, current, gazetteer)


FORMS = ("{u}{y}年的三公经费是多少", "{y}年{u}三公经费多少钱", "请问{u}{yy}年三公经费", "{u} {y}年 公务接待费？",
         "比较一下{y}年{u}的机关运行经费", "想查{u}{y}年会议费")


def test_a_unit_and_year_named_reach_that_document_among_a_thousand(thousand) -> None:  # type: ignore[no-untyped-def]
    docs, gazetteer = thousand
    rng = random.Random(1)
    wrong = []
    for d in rng.sample(docs, 300):
        q = rng.choice(FORMS).format(u=d.unit, y=d.year, yy=str(d.year)[2:])
        scope = resolve_scope(q, docs, [], gazetteer=gazetteer)
        if [x.doc_id for x in scope.docs] != [d.doc_id]:
            wrong.append((q, [x.title for x in scope.docs][:3], scope.problem))
    assert wrong == []


def test_two_named_units_compare_exactly_those_two(thousand) -> None:  # type: ignore[no-untyped-def]
    docs, gazetteer = thousand
    rng = random.Random(2)
    wrong = []
    for _ in range(150):
        a, b = rng.sample(docs, 2)
        if a.unit == b.unit:
            continue
        form = rng.choice(("{a}和{b}的三公经费哪个多", "比较{a}与{b}的公务接待费", "{a}{ya}年与{b}{yb}年三公经费对比"))
        q = form.format(a=a.unit, b=b.unit, ya=a.year, yb=b.year)
        scope = resolve_scope(q, docs, [], gazetteer=gazetteer)
        if {x.unit for x in scope.docs} != {a.unit, b.unit} or not scope.several:
            wrong.append((q, sorted({x.unit for x in scope.docs})[:4]))
        if "ya" in form and {x.doc_id for x in scope.docs} != {a.doc_id, b.doc_id}:
            wrong.append((q, "each unit its own year"))
    assert wrong == []


def test_a_sibling_that_is_not_ingested_is_not_another_units_figures(thousand) -> None:  # type: ignore[no-untyped-def]
    docs, gazetteer = thousand
    units = {d.unit for d in docs}
    rng = random.Random(3)
    absent = [p + d for p in PLACES for d in DEPARTMENTS if p + d not in units]
    assert len(absent) > 100
    wrong = []
    for unit in rng.sample(absent, 100):
        asked = rng.choice(("{u}2025年三公经费是多少", "想查{u}2025年的会议费", "2025年{u}培训费"))
        scope = resolve_scope(asked.format(u=unit), docs, [], gazetteer=gazetteer)
        # the reply names the unit as said, and states no figure (a count of units is none a document states)
        if scope.docs or f"「{unit}」" not in scope.problem or re.search(r"\d", scope.problem):
            wrong.append((unit, [x.unit for x in scope.docs][:3], scope.problem[:40]))
    assert wrong == []


def test_matching_a_unit_reads_a_few_units_not_all(thousand, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    docs, gazetteer = thousand
    calls: list[str] = []
    hits = units_module.unit_hits

    def counted(q: str, units: list[str]):  # type: ignore[no-untyped-def]
        calls.extend(units)
        return hits(q, units)

    monkeypatch.setattr(units_module, "unit_hits", counted)
    rng = random.Random(4)
    for d in rng.sample(docs, 50):
        resolve_scope(f"{d.unit}{d.year}年三公经费是多少", docs, [], gazetteer=gazetteer)
    assert 50 <= len(calls) <= 50 * 30  # a few of a thousand units a question, whatever N is


# --- an engine over ingested synthetic documents --------------------------------------------

DOCS = 30


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, list]:
    folder = tmp_path_factory.mktemp("synthetic")
    made = generate(DOCS, folder / "files", seed=5)
    store = Store(folder / "data")
    results = ingest_paths([folder / "files"], store)
    assert not [r.error for r in results if r.error]
    return Engine(store, None), made


@pytest.mark.slow
def test_each_synthetic_document_is_answered_from_itself(synthetic, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    engine, made = synthetic
    monkeypatch.setattr(engine, "docs_in_memory", 4)
    by_name = {(d.unit, d.year): d.doc_id for d in engine.documents}
    for m in made:
        fact = m.facts[0]
        reply = engine.answer(f"{m.unit}{m.year}年的{fact.asked_as}是多少", Conversation())
        assert reply.status == "answered", reply.answer
        assert reply.citations[0].doc_id == by_name[(m.unit, m.year)]
        assert f"{float(fact.value):.2f}万元" in reply.answer
        assert engine.shelf.loaded() <= 4  # a bounded number of documents stays in memory


@pytest.mark.slow
def test_a_ranking_over_many_documents_lists_the_top_and_tables_all(synthetic) -> None:  # type: ignore[no-untyped-def]
    engine, _ = synthetic
    latest = {}
    for d in engine.documents:
        if d.unit not in latest or d.year > latest[d.unit].year:
            latest[d.unit] = d
    expected = {}
    for d in latest.values():  # each document asked alone: what the ranking must agree with
        alone = engine.answer("三公经费是多少", Conversation([d.doc_id]))
        assert alone.status == "answered", alone.answer
        [item] = alone.interpretation["items"]
        tf, _ = engine.facts_of(d.doc_id)
        expected[d.doc_id] = next(f.value for f in tf if (f.row, f.table, f.column) == (item["row"], item["table"],
                                                                                      item["column"]))
    reply = engine.answer("哪个单位三公经费最多？", Conversation())
    assert reply.status == "answered"
    assert f"比较了 {len(latest)} 份文件" in reply.answer
    assert reply.table is not None and len(reply.table.rows) == len(latest)
    values = [row[4] for row in reply.table.rows]
    assert sorted(values, key=float, reverse=True) == values
    assert sorted(values) == sorted(f"{v:.2f}" for v in expected.values())
    assert len(reply.citations) == 10 and len(reply.answer) < 800
    assert reply.table.to_csv().count("\n") == len(latest) + 1
    top3 = engine.answer("三公经费最少的3个单位", Conversation())
    assert "前 3 名" in top3.answer and "4. " not in top3.answer


@pytest.mark.slow
def test_a_question_that_names_no_unit_lists_a_few_documents_to_choose(synthetic) -> None:  # type: ignore[no-untyped-def]
    engine, _ = synthetic
    reply = engine.answer("三公经费是多少？", Conversation())
    assert reply.status == "clarify"
    assert f"等 {len(engine.documents)} 份文件" in reply.answer
    assert len(reply.candidates) <= engine_module.MAX_CANDIDATES


COMPARE_FORMS = ("{a}和{b}的三公经费哪个多", "{y}年{a}与{b}相比，三公经费哪个高", "比较{a}与{b}的三公经费",
                 "{a}{y}年与{b}{y}年三公经费对比", "{y}年{a}和{b}的三公经费谁多")


@pytest.mark.slow
def test_two_units_compared_in_the_ways_people_ask_cite_exactly_those_two(synthetic) -> None:  # type: ignore[no-untyped-def]
    engine, _ = synthetic
    rng = random.Random(6)
    by_year: dict[int, list[Document]] = {}
    for d in engine.documents:
        by_year.setdefault(d.year, []).append(d)
    wrong = []
    for form in COMPARE_FORMS:
        for _ in range(4):
            year = rng.choice([y for y, ds in by_year.items() if len({d.unit for d in ds}) > 1])
            a, b = rng.sample([d for d in by_year[year]], 2)
            if a.unit == b.unit:
                continue
            q = form.format(a=a.unit, b=b.unit, y=year)
            reply = engine.answer(q, Conversation())
            cited = {c.doc_id for c in reply.citations}
            if reply.status != "answered" or ("{y}" in form and cited != {a.doc_id, b.doc_id}) \
                    or {engine.by_id[c].unit for c in cited} != {a.unit, b.unit} or "「三公经费」" not in reply.answer:
                wrong.append((q, reply.status, reply.answer[:80]))
    assert wrong == []


@pytest.mark.slow
def test_a_documents_own_vectors_rank_its_passages_as_the_index_does(tmp_path: Path) -> None:
    from ingest.embedding import load_embedder
    from ingest.model import Chunk
    from ingest.settings import Settings
    from ingest.vectors import ChromaIndex
    from qa.retrieve import HybridRetriever

    index = ChromaIndex(load_embedder(None, Settings().model_cache), tmp_path / "chroma")
    texts = ["三公经费比上年减少，主要原因是压减公务接待。", "本单位主要职能是社会保险经办。",
             "机关运行经费用于办公费、水电费和差旅费。", "政府采购预算为零。", "项目支出用于信息化建设。"]
    chunks = [Chunk(f"{doc}-{i}", doc, "prose", f"{doc[-1]}号单位：{t}", 1, None, {})
              for doc in ("doc-a", "doc-b") for i, t in enumerate(texts)]
    index.upsert(chunks)
    mine = [c for c in chunks if c.doc_id == "doc-a"]
    for question in ("三公经费为什么减少", "单位的职能是什么", "水电费花在哪里"):
        own = HybridRetriever(mine, index)._vector_hits(question, ["doc-a"])
        searched = index.search(question, 20, ["doc-a"])
        assert [cid for cid, _ in own] == [cid for cid, _ in searched]
        assert all(cid.startswith("doc-a") for cid, _ in own) and len(own) == len(texts)
        assert [round(d, 4) for _, d in own] == [round(d, 4) for _, d in searched]
