"""Taught wordings: staff teach that a phrase people say means a known row or unit (吃喝费 →
公务接待费, 社保局 → 社会保险中心). The question path links it like its built-in vocabulary
(`Store.taught_words`, read by the engine at reload) and still computes every answer from the
facts. A wording that would change the answer to any question of the deployment's gold sets
is refused, with the answers it would change: two engines over the same store, one with the
wording and one without, answer every gold item."""

from __future__ import annotations

from typing import Any

from ingest.errors import BudgetQAError
from ingest.records import KINDS, Taught
from ingest.store import Store, VectorIndex

MAX_SAID = 30
WAIT = 30.0  # seconds a teaching waits for another writer


class TeachingRefused(BudgetQAError):
    """The wording would change gold answers; `changed` lists them."""

    def __init__(self, message: str, changed: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.changed = changed


def check_wording(store: Store, said: str, means: str, kind: str) -> None:
    """A clear error for a wording that cannot be taught."""
    if kind not in KINDS:
        raise BudgetQAError(f"kind 须是 {' 或 '.join(KINDS)}")
    if not said or len(said) > MAX_SAID or said == means:
        raise BudgetQAError(f"说法须是 1–{MAX_SAID} 个字，且不同于它指的名称")
    known = set(store.row_names()) if kind == "item" else {d.unit for d in store.documents()}
    if means not in known:
        what = "表格里的行名（科目或项目）" if kind == "item" else "已收录文件的单位名称"
        raise BudgetQAError(f"「{means}」不是{what}")
    if any(s == said for s, _, _ in store.taught_words()):
        raise BudgetQAError(f"「{said}」已经教过；先撤销原来的，再重新教")


def changed_answers(store: Store, vectors: VectorIndex | None, taught: list[tuple[str, str, str]],
                    wording: tuple[str, str, str], gold: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The gold items whose last reply differs once `wording` joins `taught`."""
    from qa.engine import Engine

    before = Engine(store, vectors, taught=list(taught))  # type: ignore[call-arg]
    after = Engine(store, vectors, taught=[*taught, wording])  # type: ignore[call-arg]
    out = []
    for item in gold:
        a, b = _last_reply(before, item), _last_reply(after, item)
        if a != b:
            out.append({"id": item.get("id", ""), "question": item["turns"][-1], "before": a[1], "after": b[1]})
    return out


def _last_reply(engine: Any, item: dict[str, Any]) -> tuple[str, str]:
    from qa.engine import Conversation

    conv = Conversation()
    doc = engine.document_named(item["doc"]) if item.get("doc") else None
    if doc is not None:  # as `budget-qa eval` asks it: the document picked
        conv.doc_ids = [doc.doc_id]
    status, answer = "", ""
    for turn in item["turns"]:
        try:
            reply = engine.answer(turn, conv)
            status, answer = reply.status, reply.answer
        except BudgetQAError as exc:
            status, answer = "refused", str(exc)
    return status, answer


def teach(store: Store, vectors: VectorIndex | None, said: str, means: str, kind: str, who: str,
          gold: list[dict[str, Any]]) -> Taught:
    """Checked and stored under the store's write lock, so two teachings take turns."""
    said, means = said.strip(), means.strip()
    with store.lock.hold(WAIT):
        check_wording(store, said, means, kind)
        changed = changed_answers(store, vectors, store.taught_words(), (said, means, kind), gold)
        if changed:
            raise TeachingRefused(f"未采用：「{said}」会改变 {len(changed)} 个标准问题的答案", changed)
        return store.teach(said, means, kind, who)
