"""Answers: scope → understand → find facts / retrieve → calculate → compose."""

from qa.calc import Calculation, CalculationError, Operand
from qa.engine import Conversation, Engine
from qa.reply import Citation, Reply

__all__ = ["Calculation", "CalculationError", "Citation", "Conversation", "Engine", "Operand",
           "Reply"]
