"""The optional LLM layer with langchain's fake chat models: no network, no model."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.language_models import (
    FakeListChatModel,
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from pydantic import Field

from ingest.model import Fact
from ingest.settings import Settings
from qa.calc import Calculation, Operand
from qa.llm import LLMPolisher, LLMSettingError, chat_model_from_setting, known_figures
from qa.reply import Citation, Reply

QUOTE = "合计 308.44 297.64 10.80"
CITE = Citation("d1", "和静县社会保险中心2024年单位预算公开", 7, "表6 一般公共预算基本支出情况表", QUOTE)
SHARE = Reply(
    "人员经费占基本支出的比例是多少？",
    "计算结果为96.50%（297.64 / 308.44 * 100）。依据：人员经费 297.64万元；基本支出 308.44万元。",
    "answered",
    (CITE, CITE),
    Calculation(
        "297.64 / 308.44 * 100",
        Decimal("96.50"),
        "%",
        (Operand("人员经费", Decimal("297.64"), "万元"), Operand("基本支出", Decimal("308.44"), "万元")),
    ),
)
LOOKUP = Reply(
    "公用经费是多少？",
    "一般公共预算基本支出情况表合计（公用经费）为10.80万元。（来源：表6 一般公共预算基本支出情况表，第7页）",
    "answered",
    (CITE,),
)
FACT_30844 = Fact("d1", "表6 一般公共预算基本支出情况表", None, "合计", "合计", Decimal("308.44"), "万元", 7, QUOTE)


def nothing_known(value: Decimal, unit: str) -> bool:
    return False


class ScriptedChat(FakeMessagesListChatModel):
    """Replays its responses, records what it was sent, and accepts tools like real models."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)
    tools: list[Any] = Field(default_factory=list)

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.tools.extend(tools)
        return self

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, stop, run_manager, **kwargs)


class BrokenChat(FakeListChatModel):
    def _call(self, *args: Any, **kwargs: Any) -> str:
        raise ConnectionError("connection refused")


def says(*texts: str) -> ScriptedChat:
    return ScriptedChat(responses=[AIMessage(t) for t in texts])


def test_faithful_rephrasing_is_kept_with_citations_and_calculation() -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage("人员经费约占基本支出的96.50%，是预算的大头。")]))
    polished = LLMPolisher(model).polish(SHARE, nothing_known)
    assert polished.answer == (
        "人员经费约占基本支出的96.50%，是预算的大头。\n"
        "（297.64 / 308.44 * 100）。依据：人员经费 297.64万元；基本支出 308.44万元。"
    )
    assert polished.citations == SHARE.citations
    assert polished.calculation == SHARE.calculation
    assert polished.status == "answered"


def test_model_gets_the_system_prompt_and_the_calculator() -> None:
    model = says("公用经费为10.80万元。")
    polished = LLMPolisher(model).polish(LOOKUP, nothing_known)
    assert polished.answer == "公用经费为10.80万元。\n（来源：表6 一般公共预算基本支出情况表，第7页）"
    system, human = model.seen[0]
    assert "原样保留" in str(system.content) and "calculator" in str(system.content)
    assert LOOKUP.answer in str(human.content)
    assert [t.name for t in model.tools] == ["calculator"]


@pytest.mark.parametrize(
    "text",
    [
        "公用经费为10.8万元。",  # the same figure, written without the trailing zero
        "公用经费为108000元。",  # converted exactly
        "2024年公用经费为10.80万元，见表6。",  # a year and the cited table are not figures
    ],
)
def test_equal_figures_in_other_spellings_are_accepted(text: str) -> None:
    assert LLMPolisher(says(text)).polish(LOOKUP, nothing_known).answer.startswith(text)


@pytest.mark.parametrize(
    "text",
    [
        "人员经费约占基本支出的97%。",  # rounded
        "人员经费占96.50%，约100.00万元。",  # a figure the documents do not hold
        "人员经费占96.50%，见表9第3页。",  # an invented source
        "人员经费占96.50%，约为百分之九十七。",  # a figure in Chinese numerals
        "人员经费占96.50%" + "，很多" * 200,  # not a short rephrasing
        "",
    ],
)
def test_wrong_or_invented_figures_return_the_original(text: str) -> None:
    assert LLMPolisher(says(text)).polish(SHARE, nothing_known) is SHARE


@pytest.mark.parametrize(
    ("reply", "text"),
    [
        (SHARE, "人员经费是基本支出的主要部分。"),
        (SHARE, "人员经费297.64万元，基本支出308.44万元。"),  # operands, but not the result
        (LOOKUP, "公用经费的预算已经公开。"),
    ],
)
def test_dropping_the_main_figure_returns_the_original(reply: Reply, text: str) -> None:
    assert LLMPolisher(says(text)).polish(reply, nothing_known) is reply


def test_bare_quote_numbers_need_a_known_fact_to_carry_a_unit() -> None:
    # "308.44" is in the quote without a unit; it is 308.44万元 only because the store says so.
    text = "公用经费为10.80万元，基本支出合计308.44万元。"
    assert LLMPolisher(says(text)).polish(LOOKUP, nothing_known) is LOOKUP
    polished = LLMPolisher(says(text)).polish(LOOKUP, known_figures([FACT_30844]))
    assert polished.answer.startswith(text)


def test_known_figures_compares_money_across_units() -> None:
    known = known_figures([FACT_30844])
    assert known(Decimal("3084400"), "元")
    assert known(Decimal("308.4400"), "万元")
    assert not known(Decimal("308.44"), "元")
    assert not known(Decimal("308.44"), "%")


def test_a_failing_model_returns_the_original() -> None:
    assert LLMPolisher(BrokenChat(responses=["x"])).polish(SHARE, nothing_known) is SHARE


def test_a_failing_known_predicate_returns_the_original() -> None:
    def broken(value: Decimal, unit: str) -> bool:
        raise RuntimeError("store closed")

    text = "公用经费为10.80万元，基本支出合计308.44万元。"  # 308.44万元 needs the predicate
    assert LLMPolisher(says(text)).polish(LOOKUP, broken) is LOOKUP


def test_a_slow_model_times_out_to_the_original() -> None:
    slow = FakeListChatModel(responses=["人员经费占96.50%。"], sleep=0.5)
    assert LLMPolisher(slow, timeout_s=0.05).polish(SHARE, nothing_known) is SHARE


@pytest.mark.parametrize(
    "reply",
    [
        Reply("卫生健康支出是多少？", "文件中没有找到能回答这个问题的内容。", "not_found"),
        Reply("卫生健康支出是多少？", "您问的是哪一份文件？甲；乙", "clarify", candidates=("甲", "乙")),
    ],
)
def test_unanswered_replies_pass_through_without_calling_the_model(reply: Reply) -> None:
    model = says("编造的回答100万元。")
    assert LLMPolisher(model).polish(reply, nothing_known) is reply
    assert model.seen == []


def _calculator_call(values: list[str], call_id: str = "c1") -> AIMessage:
    args = {"operation": "difference", "values": values, "units": ["万元"]}
    return AIMessage("", tool_calls=[{"name": "calculator", "args": args, "id": call_id}])


def test_a_calculator_result_from_supported_inputs_is_accepted() -> None:
    model = ScriptedChat(
        responses=[
            _calculator_call(["308.44", "297.64"]),
            AIMessage("人员经费占基本支出的96.50%，其余10.80万元是公用经费。"),
        ]
    )
    polished = LLMPolisher(model).polish(SHARE, nothing_known)
    assert polished.answer.startswith("人员经费占基本支出的96.50%，其余10.80万元是公用经费。\n")
    tool_message = model.seen[1][-1]
    assert isinstance(tool_message, ToolMessage) and tool_message.tool_call_id == "c1"
    assert '"result": 10.8' in str(tool_message.content)


def test_a_calculator_result_from_invented_inputs_is_not_supported() -> None:
    model = ScriptedChat(
        responses=[
            _calculator_call(["500", "297.64"]),
            AIMessage("人员经费占基本支出的96.50%，差额202.36万元。"),
        ]
    )
    assert LLMPolisher(model).polish(SHARE, nothing_known) is SHARE


def test_tool_calls_stop_after_two_rounds() -> None:
    model = ScriptedChat(responses=[_calculator_call(["308.44", "297.64"], f"c{i}") for i in range(4)])
    assert LLMPolisher(model).polish(SHARE, nothing_known) is SHARE
    assert len(model.seen) == 3  # the first answer and two rounds of tool results


def test_polishes_a_real_seed_reply(seed_engine: Any) -> None:
    reply = seed_engine.answer("人员经费占基本支出的比例是多少？")
    polished = LLMPolisher(says("人员经费占基本支出的96.50%。")).polish(reply, nothing_known)
    assert polished.answer.startswith("人员经费占基本支出的96.50%。\n")
    assert polished.citations == reply.citations and polished.calculation == reply.calculation


@pytest.mark.parametrize("value", ["", "  "])
def test_no_setting_means_no_model(value: str) -> None:
    assert chat_model_from_setting(value) is None


def test_the_setting_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUDGETQA_LLM", raising=False)
    assert Settings().llm == ""
    monkeypatch.setenv("BUDGETQA_LLM", "ollama:qwen2.5:7b")
    assert Settings().llm == "ollama:qwen2.5:7b"


@pytest.mark.parametrize(
    "value",
    [
        "gpt-4o",  # no backend
        "anthropic:claude",
        "openai:http://localhost:8000/v1",  # no model
        "openai:localhost:8000/v1|qwen",  # no scheme
        "openai:|qwen",
        "ollama:",
        "ollama:qwen2.5@localhost:11434",
    ],
)
def test_a_malformed_setting_is_a_clear_error(value: str) -> None:
    with pytest.raises(LLMSettingError, match="BUDGETQA_LLM"):
        chat_model_from_setting(value)


@pytest.mark.parametrize(
    ("value", "module", "package"),
    [
        ("openai:http://localhost:8000/v1|qwen", "langchain_openai", "langchain-openai"),
        ("ollama:qwen2.5:7b@http://localhost:11434", "langchain_ollama", "langchain-ollama"),
    ],
)
def test_a_missing_backend_package_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str, module: str, package: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(LLMSettingError, match=package):
        chat_model_from_setting(value)
