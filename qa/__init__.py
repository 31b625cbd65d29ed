"""Answers: normalise → scope → link → read → interpret → execute → compose (qa.engine)."""

from qa.calc import Calculation, CalculationError, Operand
from qa.engine import Conversation, Engine
from qa.reply import Citation, Reply
from qa.value import Interpretation, Item

__all__ = ["Calculation", "CalculationError", "Citation", "Conversation", "Engine", "Interpretation", "Item",
           "Operand", "Reply"]
