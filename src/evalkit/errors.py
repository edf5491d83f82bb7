"""Exception types raised by evalkit.

Every user-facing error says what is wrong, where, and what would fix it. Callers can catch
:class:`EvalkitError` to handle any of them.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DisclosureError",
    "EvalkitError",
    "ExpressionError",
    "FigureError",
    "PipelineError",
    "QualImportError",
    "ScoringError",
    "StatisticsError",
    "ValidationError",
]


class EvalkitError(Exception):
    """Base class of every error evalkit raises on purpose."""


class ConfigError(EvalkitError):
    """The evaluation config (``evaluation.yml``) is missing, malformed or inconsistent."""


class ExpressionError(ConfigError):
    """A filter or KPI expression is outside evalkit's expression language, or names an unknown
    column; ``where``, ``expression``, ``problem``, ``hint``, ``position`` (1-based character),
    ``token`` and ``suggestions`` (nearest column names) say which and where."""

    def __init__(
        self,
        message: str,
        *,
        where: str,
        expression: str,
        problem: str = "",
        hint: str = "",
        position: int | None = None,
        token: str | None = None,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.where = where
        self.expression = expression
        self.problem = problem
        self.hint = hint
        self.position = position
        self.token = token
        self.suggestions = suggestions


class ValidationError(EvalkitError):
    """Input data broke a schema rule; ``issues`` holds one row per failure."""

    def __init__(self, message: str, issues=None) -> None:
        super().__init__(message)
        self.issues = issues


class ScoringError(EvalkitError):
    """An instrument could not be scored (e.g. an item value outside its response range)."""


class StatisticsError(EvalkitError):
    """A statistic was asked for with inputs it cannot be computed from."""


class QualImportError(EvalkitError):
    """A qualitative project or export could not be read faithfully."""


class FigureError(EvalkitError):
    """A report figure cannot be shown accessibly (e.g. it has no alt text)."""


class PipelineError(EvalkitError):
    """Running or rendering the report failed; the message names the notebook and cell."""


class DisclosureError(EvalkitError):
    """A rendered report would disclose personal data or small numbers."""
