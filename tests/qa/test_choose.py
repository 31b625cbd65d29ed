"""The optional chooser (an LLM) where the engine abstains: it may only pick one of the
document's own names, and the pick is looked up like any question (fake chat models)."""

from __future__ import annotations

from langchain_core.language_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from ingest import Store
from qa import Engine
from qa.choose import LLMChooser

ASKED = "员工薪酬一年要花多少？"  # no word of it is in the document's names


def _engine(store: Store, model) -> Engine:
    return Engine(store, chooser=LLMChooser(model, timeout_s=5))


def test_without_a_chooser_the_engine_abstains(seed_engine: Engine) -> None:
    assert seed_engine.answer(ASKED).status == "not_found"


def test_a_choice_among_the_documents_names_is_answered_from_the_facts(seed_store: Store) -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage('{"choice": "工资福利支出"}')]))
    reply = _engine(seed_store, model).answer(ASKED)
    assert reply.status == "answered"
    assert "256.89万元" in reply.answer
    assert reply.citations and reply.citations[0].table


def test_a_choice_outside_the_candidates_or_none_changes_nothing(seed_store: Store) -> None:
    for text in ('{"choice": "领导的奖金"}', '{"choice": null}', "我觉得是工资", "{broken"):
        model = GenericFakeChatModel(messages=iter([AIMessage(text)]))
        reply = _engine(seed_store, model).answer(ASKED)
        assert reply.status == "not_found", text
        assert "万元" not in reply.answer


def test_a_failing_or_slow_chooser_changes_nothing(seed_store: Store) -> None:
    slow = FakeListChatModel(responses=['{"choice": "工资福利支出"}'], sleep=2)
    assert Engine(seed_store, chooser=LLMChooser(slow, timeout_s=0.2)).answer(ASKED).status == "not_found"


def test_a_grounded_answer_never_asks_the_chooser(seed_store: Store) -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage('{"choice": "公务接待费"}')]))
    reply = _engine(seed_store, model).answer("工资福利支出是多少？")
    assert "256.89万元" in reply.answer  # the model's different choice was never asked for
