"""An optional chat model that rephrases an answered reply, guarded so it can add no figure.

Off by default (BUDGETQA_LLM empty). The deterministic reply stays the source of truth: the
model's text is kept only when every figure in it is one the reply, the store or this turn's
calculator already holds, and the reply's main figures are all still there. Anything else,
including a model error or a timeout, leaves the reply exactly as it was.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from ingest.errors import BudgetQAError
from ingest.model import Fact
from qa.calc import MONEY_UNITS, calculator_tool
from qa.figures import MONEY_SCALE, figures_in
from qa.reply import Reply

log = logging.getLogger(__name__)

Known = Callable[[Decimal, str], bool]
Key = tuple[str, Decimal]  # (unit class, magnitude): money in 元, so 2.28万元 == 22800元

MAX_TOOL_ROUNDS = 2
MAX_CHARS = 400  # "1-3 short sentences"; a longer text is not a rephrasing
SETTING_FORMS = "'openai:<base_url>|<model>' or 'ollama:<model>[@<base_url>]'"

SYSTEM_PROMPT = (
    "你是政府预算公开文件的问答助手。请把给定的答案改写成普通市民容易读懂的一到三句简短中文。\n"
    "规则：\n"
    "1. 答案里的每个数字和单位必须原样保留，不得改动、四舍五入或换算；\n"
    "2. 不得添加答案里没有的数字，不得编造来源、表格或页码；不要写出处，系统会自动附上；\n"
    "3. 如果确实需要计算，必须调用 calculator 工具，不得自己计算；\n"
    "4. 只输出改写后的句子。"
)

# Figures spelled in Chinese numerals slip past figures_in, so a text with one is not accepted.
_CHINESE_FIGURE = re.compile(
    r"百分之[零〇一二两三四五六七八九十百点]"
    r"|[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?\s*(?:%|[千万亿]?元|个?百分点|倍|成)"
)
_REFERENCE = re.compile(r"表\s*\d+|第\s*\d+\s*页")
_THINK = re.compile(r"<think>.*?</think>", re.S)  # reasoning models put their notes in content
_COUNT_ALIASES = {"名": "人", "㎡": "平方米"}


class LLMSettingError(BudgetQAError):
    """BUDGETQA_LLM is malformed, or names a backend whose package is not installed."""


class Polisher(Protocol):
    """What the engine needs from the optional LLM layer; a test can hand in any stand-in."""

    def polish(self, reply: Reply, known: Known) -> Reply: ...


# --- configuration ---------------------------------------------------------------------------


def chat_model_from_setting(value: str, timeout_s: float = 20.0) -> BaseChatModel | None:
    """The chat model BUDGETQA_LLM names, or None when it is empty. No network is touched."""
    value = value.strip()
    if not value:
        return None
    kind, _, rest = value.partition(":")
    if kind == "openai":
        base_url, _, model = (p.strip() for p in rest.partition("|"))
        _check(value, model, base_url, required_url=True)
        return _openai(base_url, model, timeout_s)
    if kind == "ollama":
        model, _, base_url = (p.strip() for p in rest.partition("@"))
        _check(value, model, base_url, required_url=False)
        return _ollama(model, base_url or None, timeout_s)
    raise LLMSettingError(f"BUDGETQA_LLM={value!r}: expected {SETTING_FORMS}")


def _check(value: str, model: str, base_url: str, required_url: bool) -> None:
    if not model or any(c.isspace() for c in model):
        raise LLMSettingError(f"BUDGETQA_LLM={value!r}: missing model name; expected {SETTING_FORMS}")
    if (base_url or required_url) and not re.match(r"https?://\S+$", base_url):
        raise LLMSettingError(f"BUDGETQA_LLM={value!r}: base_url must start with http:// or https://")


def _openai(base_url: str, model: str, timeout_s: float) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise LLMSettingError(_missing("langchain-openai", "openai")) from exc
    # Local OpenAI-compatible servers accept any key; the client refuses to start without one.
    key = os.environ.get("OPENAI_API_KEY") or "none"
    chat: BaseChatModel = ChatOpenAI(
        model=model, base_url=base_url, api_key=key, temperature=0, timeout=timeout_s, max_retries=0
    )
    return chat


def _ollama(model: str, base_url: str | None, timeout_s: float) -> BaseChatModel:
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise LLMSettingError(_missing("langchain-ollama", "ollama")) from exc
    chat: BaseChatModel = ChatOllama(
        model=model, base_url=base_url, temperature=0, client_kwargs={"timeout": timeout_s}
    )
    return chat


def _missing(package: str, kind: str) -> str:
    return f"BUDGETQA_LLM={kind}:… needs the {package} package: pip install 'budget-qa[llm]'"


def known_figures(facts: Iterable[Fact]) -> Known:
    """A `known` predicate for LLMPolisher.polish: is (value, unit) a figure of these facts?"""
    keys = {_key(f.value, f.unit) for f in facts}
    return lambda value, unit: _key(value, unit) in keys


# --- polishing -------------------------------------------------------------------------------


class LLMPolisher:
    """Rephrases answered replies with a chat model; returns the reply unchanged on any doubt."""

    def __init__(self, model: BaseChatModel, timeout_s: float = 20) -> None:
        self.timeout_s = timeout_s
        self.tool = calculator_tool()
        try:
            self.model: Any = model.bind_tools([self.tool])
        except NotImplementedError:  # a model without tool calling still rephrases
            self.model = model

    def polish(self, reply: Reply, known: Known) -> Reply:
        if reply.status != "answered":
            return reply
        try:
            text, computed = self._ask(reply, known)
            problem = _check_text(text, reply, known, computed)
        except Exception as exc:  # the LLM is optional: the reply stands without it
            log.debug("llm polish skipped: %s: %s", type(exc).__name__, exc)
            return reply
        if problem:
            log.debug("llm polish rejected: %s; text=%r", problem, text)
            return reply
        source = _source_part(reply)
        return replace(reply, answer=f"{text}\n{source}" if source else text)

    def _ask(self, reply: Reply, known: Known) -> tuple[str, set[Key]]:
        # A thread bounds the wait even for clients without a timeout of their own.
        pool = ThreadPoolExecutor(max_workers=1)
        try:
            return pool.submit(self._converse, reply, known).result(timeout=self.timeout_s)
        except FutureTimeout:
            raise TimeoutError(f"no answer within {self.timeout_s}s") from None
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _converse(self, reply: Reply, known: Known) -> tuple[str, set[Key]]:
        messages: list[BaseMessage] = [
            SystemMessage(SYSTEM_PROMPT),
            HumanMessage(f"问题：{reply.question}\n答案：{reply.answer}"),
        ]
        supported = _reply_figures(reply)
        computed: set[Key] = set()

        def ok(value: Decimal, unit: str) -> bool:  # earlier results may feed later calls
            return _supported(value, unit, supported | computed, known)

        msg = self.model.invoke(messages)
        for _ in range(MAX_TOOL_ROUNDS):
            if not getattr(msg, "tool_calls", None):
                break
            messages.append(msg)
            for call in msg.tool_calls:
                result, key = self._calculate(call, ok)
                if key is not None:
                    computed.add(key)
                messages.append(ToolMessage(json.dumps(result, ensure_ascii=False), tool_call_id=call.get("id") or ""))
            msg = self.model.invoke(messages)
        if not isinstance(msg, AIMessage) or msg.tool_calls:
            raise ValueError("no final text after the tool rounds")
        return _THINK.sub("", msg.text).strip(), computed

    def _calculate(self, call: dict[str, Any], ok: Known) -> tuple[dict[str, Any], Key | None]:
        """Run one tool call; its result counts as supported only if all its inputs are."""
        if call.get("name") != self.tool.name:
            return {"error": f"unknown tool {call.get('name')!r}; use calculator"}, None
        result = self.tool.invoke(call.get("args") or {})
        if not isinstance(result, dict) or "error" in result:
            return result if isinstance(result, dict) else {"error": str(result)}, None
        inputs = [(_dec(o["value"]), o["unit"]) for o in result["operands"]]
        if (percent := (call.get("args") or {}).get("percent")) is not None:  # scale's rate
            inputs.append((_dec(percent), "%"))
        if not all(v is not None and ok(v, u) for v, u in inputs):
            return result, None
        value = _dec(result["result"])
        return result, (_key(value, result["unit"]) if value is not None else None)


# --- the guard -------------------------------------------------------------------------------


def _check_text(text: str, reply: Reply, known: Known, computed: set[Key]) -> str:
    """Why the model's text cannot replace the reply's, or "" when it can."""
    if not text:
        return "empty text"
    if len(text) > MAX_CHARS:
        return f"text longer than {MAX_CHARS} characters"
    if m := _CHINESE_FIGURE.search(text):
        return f"figure in Chinese numerals {m.group()!r}"
    cited = "".join(f"{c.table or ''}第{c.page}页" for c in reply.citations)
    allowed = _references(reply.answer + cited)
    if extra := _references(text) - allowed:
        return f"source not in the reply: {sorted(extra)}"
    supported = _reply_figures(reply) | computed
    stated = figures_in(text)
    for value, unit in stated:
        if not _supported(value, unit, supported, known):
            return f"unsupported figure {value}{unit}"
    have = {_key(v, u) for v, u in stated}
    if missing := [f"{v}{u}" for v, u in _main_figures(reply) if _key(v, u) not in have]:
        return f"main figure dropped: {', '.join(missing)}"
    return ""


def _reply_figures(reply: Reply) -> set[Key]:
    """Every figure the deterministic reply stands behind: text, calculation, quotes."""
    figures = list(figures_in(reply.answer))
    for c in reply.citations:
        figures += figures_in(c.quote)
    if (calc := reply.calculation) is not None:
        figures.append((calc.result, calc.unit))
        figures += [(o.value, o.unit) for o in calc.operands]
    keys = {_key(v, u) for v, u in figures}
    # A bare number the reply states in some unit may be repeated without it; the reverse
    # never holds: a quote's bare "4.62" does not say whether it is 元 or 万元.
    return keys | {("", abs(v)) for v, _ in figures}


def _main_figures(reply: Reply) -> list[tuple[Decimal, str]]:
    """The figures a rephrasing must keep: the calculation's result, else the answer's head."""
    if reply.calculation is not None:
        return [(reply.calculation.result, reply.calculation.unit)]
    source = _source_part(reply)
    head = reply.answer[: len(reply.answer) - len(source)] if source else reply.answer
    return figures_in(head)


def _source_part(reply: Reply) -> str:
    """The tail of the answer that says where its figures come from (kept under the rephrasing)."""
    text = reply.answer
    marks = [f"（{reply.calculation.expression}）"] if reply.calculation else []
    for mark in [*marks, "（来源：", "依据："]:
        if (i := text.find(mark)) >= 0:
            return text[i:]
    m = re.search(r"（[^（）]*第\d+页）$", text)  # prose answers end "（title，第N页）"
    return m.group() if m else ""


def _supported(value: Decimal, unit: str, supported: set[Key], known: Known) -> bool:
    if _key(value, unit) in supported:
        return True
    if unit in MONEY_SCALE:  # the store keeps each fact in the unit its document printed
        yuan = value * MONEY_SCALE[unit]
        return any(known(yuan / scale, u) for u, scale in MONEY_UNITS.items())
    return known(value, unit)


def _key(value: Decimal, unit: str) -> Key:
    # Magnitude only: the reply says "减少1.15万元" where the calculation holds -1.15.
    if unit in MONEY_SCALE:
        return "元", abs(value * MONEY_SCALE[unit]).normalize()
    return _COUNT_ALIASES.get(unit, unit), abs(value).normalize()


def _references(text: str) -> set[str]:
    return {re.sub(r"\s+", "", r) for r in _REFERENCE.findall(text)}


def _dec(value: object) -> Decimal | None:
    # The tool reports floats; repr() gives the shortest form, so 96.5 reads back as 96.5.
    try:
        d = Decimal(repr(value) if isinstance(value, float) else str(value).replace(",", ""))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None
