"""Questions typed as people type them, over classes of input: every row of every corpus
document asked with an input-method slip, a full-width year, spaces and fillers, or an
abbreviation gets the figure the plainly typed question gets; every unit is found by its
short names and never by a sibling's."""

from __future__ import annotations

import random
import re
from collections import defaultdict

import pytest
from pypinyin import Style, pinyin

from ingest.model import Fact
from qa import Conversation, Engine
from qa.normalise import normalise
from qa.scope import resolve
from qa.units import Units

pytestmark = pytest.mark.slow

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ROWS_PER_DOCUMENT = 20


def _syllable(ch: str) -> str:
    return pinyin(ch, style=Style.NORMAL)[0][0]


def _plain_rows(engine: Engine) -> list[tuple[str, str]]:
    """(doc_id, row) for rows printed as one piece whose name is plain Chinese."""
    rng = random.Random(7)
    out: list[tuple[str, str]] = []
    for d in engine.documents:
        tf, _ = engine.facts_of(d.doc_id)
        rows = sorted({f.row for f in tf if re.fullmatch(r"[\u4e00-\u9fff]{4,14}", f.row)
                       and not re.search("合计|总计|小计|其中|其他", f.row)})
        rng.shuffle(rows)
        out += [(d.doc_id, r) for r in rows[:ROWS_PER_DOCUMENT]]
    return out


def _homophones(engine: Engine) -> dict[str, list[str]]:
    """Characters of the documents grouped by toneless syllable: the slips an input method makes."""
    chars = {ch for f in engine.store.facts() if f.table != "正文" for ch in f.row if "\u4e00" <= ch <= "\u9fff"}
    by: dict[str, list[str]] = defaultdict(list)
    for ch in sorted(chars):
        by[_syllable(ch)].append(ch)
    return by


def _slip(row: str, by: dict[str, list[str]], rng: random.Random) -> str | None:
    spots = [i for i in range(1, len(row)) if len(by[_syllable(row[i])]) > 1]
    if not spots:
        return None
    i = rng.choice(spots)
    other = [c for c in by[_syllable(row[i])] if c != row[i]]
    return row[:i] + rng.choice(other) + row[i + 1:]


def _figures(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?(?=万元|元|亿元)", text))


def _ask(engine: Engine, doc_id: str, question: str) -> tuple[str, set[str]]:
    reply = engine.answer(question, Conversation(doc_ids=[doc_id]))
    return reply.status, _figures(reply.answer) if reply.status == "answered" else set()


def test_every_row_is_found_however_it_is_typed(corpus_engine: Engine) -> None:
    rng = random.Random(11)
    by = _homophones(corpus_engine)
    same = wrong = asked = 0
    misses: list[str] = []
    for doc_id, row in _plain_rows(corpus_engine):
        doc = corpus_engine.by_id[doc_id]
        status, plain = _ask(corpus_engine, doc_id, f"{row}是多少？")
        if status != "answered" or not plain:
            continue
        variants = [f"您好，请问{' '.join(row[i:i + 2] for i in range(0, len(row), 2))}是多少？谢谢",
                    f"{doc.unit}{str(doc.year).translate(FULL_WIDTH)}年的{row}安排了多少",
                    f"{doc.unit}{str(doc.year)[2:]}年{row}花了多少钱?"]
        slip = _slip(row, by, rng)
        if slip:  # the measure the document states: a 决算 prints no budget for most rows
            variants.append(f"{slip}{doc.kind}多少")
        for q in variants:
            asked += 1
            status, got = _ask(corpus_engine, doc_id, q)
            if got & plain:
                same += 1
            elif got:
                wrong += 1
                misses.append(f"{q} → {got} (plain {plain})")
            else:
                misses.append(f"{q} → {status}")
    assert asked > 200
    assert wrong == 0, misses[:10]
    assert same / asked >= 0.97, misses[:20]


def test_every_row_is_found_by_its_abbreviation(corpus_engine: Engine) -> None:
    """A long name said with a character of each word left out (公车运维费 for 公务用车运行维护费)."""
    asked = found = wrong = 0
    misses: list[str] = []
    for doc_id, row in _plain_rows(corpus_engine):
        if len(row) < 8:
            continue
        status, plain = _ask(corpus_engine, doc_id, f"{row}是多少？")
        if status != "answered" or not plain:
            continue
        short = row[:3] + row[4:]  # one character of the name left out
        asked += 1
        status, got = _ask(corpus_engine, doc_id, f"{short}是多少？")
        if got & plain:
            found += 1
        elif got:
            wrong += 1
            misses.append(f"{short} → {got} (plain {plain})")
    assert asked > 30
    assert wrong <= asked // 50, misses
    assert found / asked >= 0.9


def _short_names(unit: str) -> list[str]:
    """How people shorten a unit's name: without 中共, without the province or city, both."""
    out = {unit, re.sub(r"^中共", "", unit)}
    for name in list(out):
        out.add(re.sub(r"^[\u4e00-\u9fff]{2}省(?=[\u4e00-\u9fff]{3})", "省", name))
        out.add(re.sub(r"^(上海市|北京市|天津市|重庆市)", "", name))
        out.add(re.sub(r"^[\u4e00-\u9fff]{2}(省|市)", "", name))
    return sorted(n for n in out if len(n) >= 4)


def test_every_unit_is_found_by_its_short_names(corpus_engine: Engine) -> None:
    docs = corpus_engine.documents
    units = Units(docs)
    for d in docs:
        for name in _short_names(d.unit):
            scope = resolve(normalise(f"{name}{d.year}年三公经费是多少"), docs, [], units)
            assert {x.unit for x in scope.docs} == {d.unit}, (name, [x.title for x in scope.docs])


def test_a_siblings_name_never_finds_a_unit(corpus_engine: Engine) -> None:
    """The same office of another place, or another office of the same place, is not ingested."""
    docs = corpus_engine.documents
    for d in docs:
        m = re.search(r"[\u4e00-\u9fff]{2}(区|县|省)", d.unit)
        if not m:
            continue
        other = d.unit.replace(m.group(0), "东湖" + m.group(1), 1)
        reply = corpus_engine.answer(f"{other}{d.year}年三公经费是多少")
        assert reply.status == "not_found", (other, reply.answer)
        assert not _figures(reply.answer)


def test_this_unit_means_the_conversations_document(corpus_engine: Engine) -> None:
    for d in corpus_engine.documents:
        conv = Conversation(doc_ids=[d.doc_id])
        reply = corpus_engine.answer("这个单位的三公经费是多少？", conv)
        assert reply.status != "clarify"
        assert all(c.doc_id == d.doc_id for c in reply.citations)


def _total_row(engine: Engine, doc_id: str, column: str) -> Fact | None:
    tf, _ = engine.facts_of(doc_id)
    return next((f for f in tf if f.table_type == "一般公共预算基本支出表" and f.row == "合计"
                 and f.column == column), None)


@pytest.mark.parametrize("asked", ["人员经费占基本支出几成？", "人员经费占基本支出的比重有多大",
                                   "基本支出里人员经费占多少比例"])
def test_a_share_asked_without_its_textbook_word(corpus_engine: Engine, asked: str) -> None:
    checked = 0
    for d in corpus_engine.documents:
        part, whole = _total_row(corpus_engine, d.doc_id, "人员经费"), _total_row(corpus_engine, d.doc_id, "合计")
        if part is None or whole is None or not whole.value:
            continue
        checked += 1
        reply = corpus_engine.answer(asked, Conversation(doc_ids=[d.doc_id]))
        assert reply.calculation is not None, (d.title, reply.answer)
        assert reply.calculation.result == round(part.value / whole.value * 100, 2)
    assert checked >= 3


def test_follow_ups_edit_the_last_question(corpus_engine: Engine) -> None:
    """换成元呢 converts the last figure; 这两项加起来呢 adds the last two; 占…多少 takes the last
    figure as the part."""
    checked = 0
    for d in corpus_engine.documents:
        tf, _ = corpus_engine.facts_of(d.doc_id)
        rows = [f for f in tf if f.table_type == "一般公共预算基本支出表" and f.code in ("301", "302")
                and f.unit == "万元" and f.column in ("合计", "决算数", "金额")]
        if len({f.code for f in rows}) < 2:
            continue
        a = next(f for f in rows if f.code == "301")
        b = next(f for f in rows if f.code == "302")
        conv = Conversation(doc_ids=[d.doc_id])
        corpus_engine.answer(f"{a.row}是多少", conv)
        in_yuan = corpus_engine.answer("换成元呢", conv)
        assert f"{int(a.value * 10000)}元" in in_yuan.answer, in_yuan.answer
        corpus_engine.answer(f"{b.row}呢", conv)
        both = corpus_engine.answer("这两项加起来呢", conv)
        assert both.calculation is not None and both.calculation.result == a.value + b.value, both.answer
        apart = Conversation(doc_ids=[d.doc_id])
        corpus_engine.answer(f"{a.row}是多少", apart)
        corpus_engine.answer(f"{b.row}呢", apart)
        gap = corpus_engine.answer("差多少？", apart)
        assert gap.calculation is not None and gap.calculation.result == abs(a.value - b.value), gap.answer
        checked += 1
    assert checked >= 3
