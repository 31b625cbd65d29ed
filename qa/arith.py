"""The engine's calculations from found figures: two figures (share, per unit, difference,
comparison), a completion rate, a stated share, and the reply that shows the working."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ingest.model import Document, Fact
from qa import calc
from qa.calc import Calculation, CalculationError, Operand
from qa.compose import measure_named, operand, stated_reply
from qa.find import FigureSearch
from qa.match import match_prose
from qa.reply import Citation, Reply
from qa.understand import Intent

if TYPE_CHECKING:
    from qa.engine import Conversation


class Arithmetic(FigureSearch):
    """Calculations over the figures FigureSearch finds; replies are built by the engine."""

    def cite(self, f: Fact) -> Citation:
        raise NotImplementedError

    def not_found(self, question: str, subjects: list[str], doc: Document) -> Reply:
        raise NotImplementedError

    def _two(self, question: str, intent: Intent, subjects: list[str], tf: list[Fact],
             pf: list[Fact], doc: Document, conv: Conversation) -> Reply:
        first = subjects[0] if subjects else ""
        second = subjects[1] if len(subjects) > 1 and subjects[1] else (
            conv.subjects[-1] if conv.subjects else "")
        if intent.op == "share":
            stated = self._stated_share(first, second, tf, pf)
            if stated is not None:
                return stated_reply(question, stated, self.cite(stated))
        a = self.operand(first, tf, pf)
        measure = measure_named(second)
        if intent.op == "per_unit":
            fb = self._count(second, pf)
        elif measure:  # "…的支出决算比年初预算少多少": the same subject's other measure
            hits = match_prose(first, pf, (measure,))
            fb = hits[0][1] if hits else None
        else:
            fb = self.find(second, tf, pf)
        b = operand(fb) if fb else None
        if a is None or b is None:
            return self.not_found(question, [first, second], doc)
        if a.citation is not None and a.citation is fb:  # one figure found for both: nothing to relate
            return Reply(question, f"「{first}」和「{second}」在文件中是同一个数字，无法计算两者的关系；"
                         "请换一种说法指明两项。", "clarify")
        if intent.op == "share":
            c = calc.share(a, b)
        elif intent.op == "per_unit":
            c = calc.per_unit(a, b)
        elif intent.op == "compare":
            named = [(a, first), (b, second)]
            named.sort(key=lambda x: calc.convert(x[0].value, x[0].unit, "元"), reverse=True)
            (big, big_name), (small, small_name) = named
            c = calc.difference(big, small)
            conv.subjects.append(first)
            reply = self.computed(question, c, doc, conv, intent)
            lead = (f"{big_name}（{calc.format_amount(big.value, big.unit)}）比{small_name}"
                    f"（{calc.format_amount(small.value, small.unit)}）多{calc.format_amount(c.result, c.unit)}，"
                    f"{big_name if intent.more else small_name}{'更多' if intent.more else '更少'}。")
            return replace(reply, answer=lead + reply.answer)
        else:
            c = calc.difference(a, b) if intent.more else calc.difference(b, a)
            if c.result < 0:  # "A比B多多少" when A is the smaller: say so before the arithmetic
                conv.subjects.append(first)
                reply = self.computed(question, c, doc, conv, intent)
                lead = f"{first}比{second}{'少' if intent.more else '多'}{calc.format_amount(-c.result, c.unit)}。"
                return replace(reply, answer=lead + reply.answer)
        conv.subjects.append(first)
        return self.computed(question, c, doc, conv, intent)

    def _completion(self, question: str, intent: Intent, subjects: list[str], tf: list[Fact],
                    pf: list[Fact], doc: Document, conv: Conversation) -> Reply:
        """How much of its budget a subject spent: 决算数 over 预算数 of the same row, or of the
        same subject in the prose."""
        phrase = subjects[0] if subjects else ""
        pair = self._final_and_budget(phrase, tf, pf)
        if pair is None:
            return self.not_found(question, [f"{phrase}的决算数和预算数" if phrase else ""], doc)
        final, budget = pair
        conv.subjects.append(phrase)
        c = calc.share(operand(final), operand(budget))
        reply = self.computed(question, c, doc, conv, intent)
        return replace(reply, answer=f"{phrase}预算完成率为{calc.format_amount(c.result, c.unit)}（决算数÷预算数）。"
                       + reply.answer)

    def _stated_share(self, part: str, whole: str, tf: list[Fact], pf: list[Fact]) -> Fact | None:
        """A share the prose states, used only where the stated base is the one asked for."""
        wf = self.find(whole, tf, pf) if whole else None
        for _, f in match_prose(part, pf, ("占比",))[:3]:
            amount = next((g for g in pf if g.quote == f.quote and g.row == f.row
                           and g.column == "金额"), None)
            if wf is None or amount is None:
                continue
            try:
                c = calc.share(operand(amount), operand(wf))
            except CalculationError:
                continue
            if c.result == f.value:
                return f
        return None

    def computed(self, question: str, c: Calculation, doc: Document, conv: Conversation,
                  intent: Intent, record: bool = True) -> Reply:
        result = calc.format_amount(c.result, c.unit)
        if intent.unit and c.unit in calc.MONEY_UNITS and intent.unit in calc.MONEY_UNITS \
                and intent.unit != c.unit:
            c = calc.in_unit(Operand("结果", c.result, c.unit), intent.unit)
            result = calc.format_amount(c.result, c.unit)
        parts = "；".join(f"{o.label} {calc.format_amount(o.value, o.unit)}" for o in c.operands)
        text = f"计算结果为{result}（{c.expression}）。依据：{parts}。"
        facts = tuple(o.citation for o in c.operands if isinstance(o.citation, Fact))
        if record:
            conv.operands.append(Operand("计算结果", c.result, c.unit))
        return Reply(question, text, "answered", tuple(self.cite(f) for f in facts), c)
