"""The one expression language of evalkit: filters and KPI definitions that data can never run.

A CMOC's context filter (``cmocs.csv``), a KPI's numerator and denominator (``evaluation.yml``
or the default KPI file) and the demo's planted-truth filters are short conditions over the
episode table, such as ``imd_quintile == 1 and delivery_mode == 'peer_led'``. They are written
by evaluators, co-researchers and partners, so they are data, not code: this module parses them
with Python's :mod:`ast` against an allow-list and evaluates the tree itself, column by column,
with pandas operations. Nothing is handed to ``eval``, ``exec`` or ``DataFrame.eval``, so a
hostile expression is refused before anything runs.

The language
------------
* **column names** of the episode table (``wemwbs_change``), **numbers**, **quoted strings**,
  ``True`` and ``False``, and ``all`` (every row: a KPI over all episodes);
* comparisons ``== != < <= > >=`` (chains such as ``18 <= age < 65`` too) and
  ``in [...]`` / ``not in [...]`` with a list of literal values;
* ``and`` / ``or`` / ``not`` and their pandas spellings ``&`` / ``|`` / ``~`` (element-wise,
  with pandas' three-valued logic for missing values);
* arithmetic ``+ - * / // %`` on numbers, and ``**`` with a small literal exponent;
* the functions :data:`FUNCTIONS`: ``isna(x)``/``notna(x)`` (also written ``x.isna()``,
  ``x.notna()``), ``between(x, low, high)`` (also ``x.between(low, high)``, both ends included)
  and ``abs(x)``.

Anything else (``@`` references, attribute access, subscripts, other calls, keyword arguments,
names that are not columns, lambdas, comprehensions, f-strings, assignment, very long or deeply
nested input) is refused with an :class:`~evalkit.errors.ExpressionError` that names where the
expression came from, the offending token and its position, and the nearest column names.

Examples
--------
>>> import pandas as pd
>>> episodes = pd.DataFrame({"imd_quintile": [1, 1, 3], "age": [70, 30, 40],
...                          "delivery_mode": ["peer_led", "digital", "peer_led"]})
>>> evaluate(episodes, "imd_quintile == 1 and delivery_mode == 'peer_led'").tolist()
[True, False, False]
>>> evaluate(episodes, "age.between(18, 64) & (delivery_mode in ['digital'])").tolist()
[False, True, False]
>>> sorted(parse_expression("wemwbs_change.notna() & (imd_quintile <= 2)").columns)
['imd_quintile', 'wemwbs_change']
"""

from __future__ import annotations

import ast
import difflib
import io
import operator
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ExpressionError

__all__ = [
    "EVERY_ROW",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "Expression",
    "evaluate",
    "nearest_columns",
    "parse_expression",
]

#: Longest expression accepted, in characters.
MAX_LENGTH = 1000
#: Deepest nesting of brackets or operators accepted.
MAX_DEPTH = 32
#: Most syntax-tree nodes accepted.
MAX_NODES = 400
#: Largest literal exponent accepted after ``**``.
_MAX_EXPONENT = 8
#: The keyword for "every row" (a KPI whose numerator or denominator is every episode).
EVERY_ROW = "all"

#: Named functions and how many arguments each takes (the first is the value it applies to).
FUNCTIONS: dict[str, int] = {
    "isna": 1,
    "notna": 1,
    "isnull": 1,
    "notnull": 1,
    "between": 3,
    "abs": 1,
}

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_LOGICAL: dict[type[ast.boolop], Callable[[Any, Any], Any]] = {
    ast.And: operator.and_,
    ast.Or: operator.or_,
}
_OPERATOR_TEXT = {
    ast.MatMult: "@",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Is: "is",
    ast.IsNot: "is not",
}
# what each refused construct is, in the words of the error message
_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript ([...] after a value)",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.NamedExpr: "an assignment (:=)",
    ast.IfExp: "a conditional (x if y else z)",
    ast.Dict: "a dictionary",
    ast.Set: "a set",
    ast.Starred: "a starred argument (*x)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}
_HELP = (
    "An expression may use column names, numbers, quoted text, comparisons, and/or/not, "
    "in [...], arithmetic and " + ", ".join(f"{f}()" for f in FUNCTIONS) + "."
)


def nearest_columns(name: str, columns: Iterable[str], n: int = 5) -> list[str]:
    """The few column names closest to ``name`` (for "did you mean" messages).

    Examples
    --------
    >>> nearest_columns("wembws_change", ["wemwbs_change", "wemwbs_baseline", "age"])
    ['wemwbs_change']
    """
    return difflib.get_close_matches(name, list(columns), n=n, cutoff=0.6)


def _fail(
    where: str,
    text: str,
    problem: str,
    *,
    position: int | None = None,
    token: str | None = None,
    hint: str = _HELP,
    suggestions: list[str] | None = None,
) -> ExpressionError:
    shown = text if len(text) <= 120 else text[:117] + "..."
    lines = [f"{where}: the expression {shown!r} is refused: {problem}"]
    if position is not None and token is not None:
        lines.append(f"  offending token {token!r} at character {position}")
    if suggestions:
        lines.append(f"  nearest columns: {', '.join(suggestions)}")
    if hint:
        lines.append(f"  {hint}")
    return ExpressionError(
        "\n".join(lines),
        where=where,
        expression=text,
        problem=problem,
        hint=hint,
        position=position,
        token=token,
        suggestions=tuple(suggestions or ()),
    )


def _rewrite(text: str, where: str) -> tuple[str, list[int]]:
    """Refuse ``@`` and stray characters; read ``&``/``|`` as ``and``/``or``, as pandas does.

    pandas' ``eval`` gives ``&`` and ``|`` the precedence of ``and`` and ``or``, so that
    ``a == 1 & b == 2`` means ``(a == 1) and (b == 2)``; the rewritten text keeps that meaning.
    Returns the text to parse and, for each of its characters, the 0-based position in ``text``.
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text, list(range(len(text)))  # left to the parser, which reports the position
    replace: dict[int, str] = {}
    for tok in tokens:
        start = tok.start[1]
        if tok.type == tokenize.OP and tok.string == "@":
            raise _fail(
                where,
                text,
                "'@' refers to a Python variable, which data may not reach",
                position=start + 1,
                token="@",
            )
        if tok.type == tokenize.ERRORTOKEN and tok.string.strip() not in ("", "'", '"'):
            raise _fail(
                where,
                text,
                f"the character {tok.string!r} is not part of the language",
                position=start + 1,
                token=tok.string,
            )
        if tok.type == tokenize.OP and tok.string in ("&", "|"):
            replace[start] = " and " if tok.string == "&" else " or "
    rewritten, origin = [], []
    for index, char in enumerate(text):
        piece = replace.get(index, char)
        rewritten.append(piece)
        origin.extend([index] * len(piece))
    return "".join(rewritten), origin


def _nesting(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def _tree_depth(node: ast.AST) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(current))
    return deepest


def _literal(node: ast.AST) -> bool:
    """A number, string or True/False, possibly with a sign."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
        return isinstance(node, ast.Constant) and type(node.value) in (int, float)
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, str, bool)


def _literal_value(node: ast.AST) -> Any:
    if isinstance(node, ast.UnaryOp):
        value = _literal_value(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    assert isinstance(node, ast.Constant)
    return node.value


class _Checker:
    """Walks a parsed tree once, refusing every node outside the language, collecting columns."""

    def __init__(self, original: str, parsed: str, origin: list[int], where: str) -> None:
        self.original, self.parsed, self.origin, self.where = original, parsed, origin, where
        self.columns: dict[str, int] = {}

    def position(self, node: ast.AST) -> int:
        """1-based character position, in the text as written, of a node of the parsed text."""
        offset = getattr(node, "col_offset", 0)  # UTF-8 bytes into the parsed text
        index = len(self.parsed.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
        return self.origin[min(index, len(self.origin) - 1)] + 1 if self.origin else 1

    def refuse(self, node: ast.AST, problem: str, token: str | None = None) -> ExpressionError:
        if token is None:
            token = ast.get_source_segment(self.parsed, node) or type(node).__name__
            token = token.strip() if len(token) <= 40 else token[:37] + "..."
        return _fail(self.where, self.original, problem, position=self.position(node), token=token)

    def check(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float, str, bool):
                raise self.refuse(
                    node,
                    f"the value {node.value!r} is not allowed (use isna() for missing values)",
                )
        elif isinstance(node, ast.Name):
            if node.id.startswith("__") or node.id in FUNCTIONS:
                raise self.refuse(node, f"the name {node.id!r} is not a column", node.id)
            if node.id != EVERY_ROW:
                self.columns.setdefault(node.id, self.position(node))
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.check(value)
        elif isinstance(node, ast.UnaryOp):
            self.check(node.operand)
        elif isinstance(node, ast.BinOp):
            self.check_binop(node)
        elif isinstance(node, ast.Compare):
            self.check_compare(node)
        elif isinstance(node, ast.Call):
            self.check_call(node)
        elif isinstance(node, ast.List | ast.Tuple):
            raise self.refuse(node, "a list may only follow 'in' or 'not in'")
        else:
            kind = _REFUSED.get(type(node), f"{type(node).__name__} syntax")
            raise self.refuse(node, f"{kind} is not allowed")

    def check_binop(self, node: ast.BinOp) -> None:
        op = type(node.op)
        if op not in _ARITHMETIC:
            text = _OPERATOR_TEXT.get(op, op.__name__)
            raise self.refuse(node, f"the operator {text!r} is not allowed", text)
        for side in (node.left, node.right):
            if isinstance(side, ast.Constant) and type(side.value) not in (int, float):
                raise self.refuse(side, "arithmetic works on numbers only")
        if op is ast.Pow and not (
            _literal(node.right)
            and type(_literal_value(node.right)) in (int, float)
            and abs(_literal_value(node.right)) <= _MAX_EXPONENT
        ):
            raise self.refuse(
                node.right,
                f"'**' needs a literal exponent between -{_MAX_EXPONENT} and {_MAX_EXPONENT}",
            )
        self.check(node.left)
        self.check(node.right)

    def check_compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        membership = [op for op in node.ops if isinstance(op, ast.In | ast.NotIn)]
        if membership and len(node.ops) > 1:
            raise self.refuse(
                node, "'in' cannot be chained with another comparison; join the two with 'and'"
            )
        for op, right in zip(node.ops, node.comparators, strict=True):
            if not isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.List | ast.Tuple):
                raise self.refuse(right, "a list may only follow 'in' or 'not in'")
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, ast.List | ast.Tuple):
                    raise self.refuse(right, "'in' must be followed by a list such as ['a', 'b']")
                for element in right.elts:
                    if not _literal(element):
                        raise self.refuse(element, "a list after 'in' holds literal values only")
            elif type(op) not in _COMPARE:
                text = _OPERATOR_TEXT.get(type(op), type(op).__name__)
                raise self.refuse(node, f"the comparison {text!r} is not allowed", text)
        for operand in operands:
            if not isinstance(operand, ast.List | ast.Tuple):
                self.check(operand)
            elif operand is node.left:
                raise self.refuse(operand, "a list may only follow 'in' or 'not in'")

    def check_call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):  # x.isna(), x.between(a, b)
            name, arguments = func.attr, [func.value, *node.args]
        elif isinstance(func, ast.Name):
            name, arguments = func.id, list(node.args)
        else:
            raise self.refuse(func, "only the named functions may be called")
        if name not in FUNCTIONS:
            raise self.refuse(func, f"{name!r} is not one of the allowed functions", name)
        if node.keywords:
            raise self.refuse(node.keywords[0].value, "keyword arguments are not allowed")
        if len(arguments) != FUNCTIONS[name]:
            raise self.refuse(
                node, f"{name}() takes {FUNCTIONS[name]} value(s), got {len(arguments)}", name
            )
        for argument in arguments:
            if isinstance(argument, ast.Starred):
                raise self.refuse(argument, "a starred argument (*x) is not allowed")
            self.check(argument)


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression; :meth:`evaluate` runs it on a table.

    Attributes
    ----------
    text : str
        The expression as written.
    where : str
        Where it came from (file and row, or config key path), for messages.
    columns : frozenset of str
        The column names it reads.
    """

    text: str
    where: str
    tree: ast.Expression
    positions: tuple[tuple[str, int], ...]

    @property
    def columns(self) -> frozenset[str]:
        """The column names the expression reads."""
        return frozenset(name for name, _ in self.positions)

    def check_columns(self, available: Iterable[str]) -> None:
        """Refuse a column name that ``available`` lacks, naming the nearest ones.

        Examples
        --------
        >>> parse_expression("wembws_change >= 3", where="kpis[0].numerator").check_columns(
        ...     ["wemwbs_change", "age"])
        Traceback (most recent call last):
        ...
        evalkit.errors.ExpressionError: kpis[0].numerator: the expression 'wembws_change >= 3' \
is refused: 'wembws_change' is not a column of the episode table
          offending token 'wembws_change' at character 1
          nearest columns: wemwbs_change
          Check the spelling against docs/data-model.md ("The episode table").
        """
        columns = list(available)
        known = set(columns)
        for name, position in self.positions:
            if name not in known:
                raise _fail(
                    self.where,
                    self.text,
                    f"{name!r} is not a column of the episode table",
                    position=position,
                    token=name,
                    suggestions=nearest_columns(name, columns),
                    hint='Check the spelling against docs/data-model.md ("The episode table").',
                )

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """The expression's value for every row of ``frame`` (a Series on its index).

        Raises
        ------
        ExpressionError
            A column ``frame`` lacks, or values of the wrong type for an operator (e.g. text
            compared with a number).
        """
        self.check_columns(frame.columns)
        try:
            with np.errstate(all="ignore"):
                value = _Evaluator(frame).value(self.tree.body)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise _fail(
                self.where,
                self.text,
                f"it cannot be computed on these columns ({exc})",
                hint="Check the columns' types: text is compared with quoted text, numbers "
                "with numbers.",
            ) from None
        if not isinstance(value, pd.Series):
            return pd.Series([value] * len(frame), index=frame.index)
        return value


class _Evaluator:
    """Evaluates a checked tree with pandas operations only."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def value(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id == EVERY_ROW:
                return pd.Series(True, index=self.frame.index, dtype="boolean")
            return self.frame[node.id]
        if isinstance(node, ast.BoolOp):
            combine = _LOGICAL[type(node.op)]
            result = self.value(node.values[0])
            for value in node.values[1:]:
                result = combine(result, self.value(value))
            return result
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand)
            if isinstance(node.op, ast.Not | ast.Invert):
                return ~operand if isinstance(operand, pd.Series) else not operand
            return -operand if isinstance(node.op, ast.USub) else +operand
        if isinstance(node, ast.BinOp):
            combine = _ARITHMETIC[type(node.op)]
            return combine(self.value(node.left), self.value(node.right))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        assert isinstance(node, ast.Call)
        return self.call(node)

    def compare(self, node: ast.Compare) -> Any:
        result = None
        left = self.value(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                values = [_literal_value(e) for e in right_node.elts]  # type: ignore[attr-defined]
                if isinstance(left, pd.Series):
                    step = left.isin(values)
                else:
                    step = left in values
                step = ~step if isinstance(op, ast.NotIn) else step
                right = None
            else:
                right = self.value(right_node)
                step = _COMPARE[type(op)](left, right)
            result = step if result is None else result & step
            left = right
        return result

    def call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Attribute):
            name, arguments = func.attr, [func.value, *node.args]
        else:
            name, arguments = func.id, list(node.args)  # type: ignore[attr-defined]
        values = [self.value(a) for a in arguments]
        subject = values[0]
        if not isinstance(subject, pd.Series):
            subject = pd.Series([subject] * len(self.frame), index=self.frame.index)
        if name in ("isna", "isnull"):
            return subject.isna()
        if name in ("notna", "notnull"):
            return subject.notna()
        if name == "between":
            return subject.between(values[1], values[2], inclusive="both")
        return subject.abs()


def parse_expression(text: str, *, where: str = "expression") -> Expression:
    """Parse and check an expression without running anything.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"imd_quintile == 1 and delivery_mode == 'peer_led'"``.
    where : str
        Where it was written (``"qual/cmocs.csv row 3, context_filter"`` or
        ``"evaluation.yml kpis[2].numerator"``), named in every message.

    Returns
    -------
    Expression

    Raises
    ------
    ExpressionError
        For anything outside the language (see the module docstring), with the offending token
        and its position.

    Examples
    --------
    >>> parse_expression("@pd.io.common.os.system('true') == 0", where="cmocs.csv row 2")
    Traceback (most recent call last):
    ...
    evalkit.errors.ExpressionError: cmocs.csv row 2: the expression \
"@pd.io.common.os.system('true') == 0" is refused: '@' refers to a Python variable, which data \
may not reach
      offending token '@' at character 1
      An expression may use column names, numbers, quoted text, comparisons, and/or/not, \
in [...], arithmetic and isna(), notna(), isnull(), notnull(), between(), abs().
    """
    if not isinstance(text, str):
        raise _fail(where, repr(text), "an expression must be text")
    if not text.strip():
        raise _fail(where, text, "it is blank")
    if len(text) > MAX_LENGTH:
        raise _fail(where, text, f"it is {len(text):,} characters long (at most {MAX_LENGTH:,})")
    if "\x00" in text or "\n" in text.strip() or "\r" in text:
        raise _fail(where, text, "it holds a line break or a NUL character")
    if _nesting(text) > MAX_DEPTH:
        raise _fail(where, text, f"it nests brackets more than {MAX_DEPTH} deep")
    parsed, origin = _rewrite(text, where)
    try:
        tree = ast.parse(parsed.strip(), mode="eval")
    except SyntaxError as exc:
        index = (exc.offset or 1) - 1 + (len(parsed) - len(parsed.lstrip()))
        position = origin[index] + 1 if index < len(origin) else len(text) + 1
        token = text[position - 1] if position <= len(text) else "(end)"
        raise _fail(
            where, text, f"it is not valid ({exc.msg})", position=position, token=token
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise _fail(where, text, f"it cannot be read ({type(exc).__name__})") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES or _tree_depth(tree) > MAX_DEPTH:
        raise _fail(
            where, text, f"it is too complex (more than {MAX_DEPTH} levels or {MAX_NODES} parts)"
        )
    checker = _Checker(text, parsed.strip(), origin[len(parsed) - len(parsed.lstrip()) :], where)
    checker.check(tree.body)
    return Expression(text, where, tree, tuple(checker.columns.items()))


def evaluate(frame: pd.DataFrame, text: str, *, where: str = "expression") -> pd.Series:
    """Parse, check and evaluate an expression on ``frame`` in one call.

    Parameters
    ----------
    frame : DataFrame
        Usually the episode table.
    text : str
        The expression.
    where : str
        Where it was written, named in every message.

    Returns
    -------
    Series
        One value per row of ``frame``, on its index.

    Examples
    --------
    >>> import pandas as pd
    >>> evaluate(pd.DataFrame({"x": [1.0, None, 5.0]}), "x.notna() and x > 2").tolist()
    [False, False, True]
    """
    return parse_expression(text, where=where).evaluate(frame)
