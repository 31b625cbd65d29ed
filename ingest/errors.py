"""The project's one error tree. The server maps it to HTTP codes in one place.

"The documents do not say" is a normal reply, never an exception.
"""


class BudgetQAError(Exception):
    """Base of every error budget-qa raises on purpose; its message is for users."""


class IngestError(BudgetQAError):
    """A file could not be ingested; nothing already stored was changed."""


class UnreadableDocument(IngestError):
    """The file is not a PDF or UTF-8 text we can read (corrupt, binary, a scan)."""


class NotADisclosure(IngestError):
    """The file reads fine but holds no budget disclosure (no standard table, no budget prose)."""


class TableParseError(IngestError):
    """A table was found but its rows could not be parsed."""


class StoreError(BudgetQAError):
    """The data dir or one of its stores cannot be used."""


class QuestionError(BudgetQAError):
    """The question itself is unusable (empty, too long)."""


class EmbeddingModelError(BudgetQAError):
    """The embedding model cannot be located or loaded without network access."""


class EmbeddingServiceError(BudgetQAError):
    """The server's embedding service does not answer (down, restarting): questions that need
    the model (prose) wait for it; figures are answered without it."""
