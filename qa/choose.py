"""An optional chat model that may choose, when the deterministic reading abstains, which of
the document's own row names the question means. It only chooses among the candidates it is
shown; the choice is then looked up and grounded like any question, so it adds no figure."""

from __future__ import annotations

import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "你帮助理解市民关于政府预算公开文件的提问。给你一个问题和文件中的若干项目名称，"
    "请判断问题问的是哪一个项目。只能从给出的名称中选一个，原样照抄；"
    "如果都不是，或者无法确定，选 null。只输出 JSON：{\"choice\": \"名称\"} 或 {\"choice\": null}。"
)


class Choice(BaseModel):
    choice: str | None = None


class Chooser(Protocol):
    def choose(self, question: str, candidates: list[str]) -> str | None: ...


class LLMChooser:
    """A chat model (langchain) asked for a structured choice; any error, timeout or a name not
    among the candidates is no choice."""

    def __init__(self, model: BaseChatModel, timeout_s: float = 20) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=1)

    def choose(self, question: str, candidates: list[str]) -> str | None:
        if not candidates:
            return None
        listed = "\n".join(f"- {c}" for c in candidates)
        messages = [SystemMessage(SYSTEM_PROMPT), HumanMessage(f"问题：{question}\n项目名称：\n{listed}")]
        try:
            answer = self._pool.submit(self.model.invoke, messages).result(timeout=self.timeout_s)
        except FutureTimeout:
            log.warning("chooser timed out")
            return None
        except Exception as exc:  # noqa: BLE001 - an optional model never breaks a reply
            log.warning("chooser failed: %s", exc)
            return None
        text = answer.content if isinstance(answer.content, str) else str(answer.content)
        m = re.search(r"\{.*\}", text, re.S)
        try:
            choice = Choice.model_validate(json.loads(m.group(0))).choice if m else None
        except (ValueError, ValidationError):
            return None
        return choice if choice in candidates else None
