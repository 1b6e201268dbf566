"""Arithmetic on declared symbols for spec files (``units: 4*d``, ``input: [H, W, 3]``).

The text is parsed with :mod:`ast` and only numbers, declared names, ``+ - * / // % **`` and
parentheses are accepted; nothing is evaluated as code and sympy never parses user text.
"""
from __future__ import annotations

import ast
from typing import Mapping

import sympy

from .errors import ExplainError
from .symbols import Value, as_value

MAX_TEXT = 200
MAX_EXPONENT = 64
MAX_BITS = 4096

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Pow: lambda a, b: a ** b,
    ast.FloorDiv: lambda a, b: sympy.floor(a / b),
    ast.Div: lambda a, b: a / b,
    ast.Mod: lambda a, b: sympy.Mod(a, b),
}


def parse_size(text: str, symbols: Mapping[str, sympy.Symbol], what: str = "value") -> Value:
    """An exact integer or a sympy expression in ``symbols`` from arithmetic ``text``."""
    def fail(problem: str) -> ExplainError:
        return ExplainError(f"'{what}' is not a size: {problem}. Received: {what}={text!r}")

    if len(text) > MAX_TEXT:
        raise fail(f"longer than {MAX_TEXT} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        raise fail("not an arithmetic expression") from None

    def walk(node: ast.AST, depth: int = 0) -> sympy.Expr:
        if depth > 50:
            raise fail("nested too deeply")
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return sympy.Integer(node.value)
        if isinstance(node, ast.Constant) and type(node.value) is float:
            raise fail(f"sizes are whole numbers, and {ast.unparse(node)} is not one")
        if isinstance(node, ast.Name):
            if node.id not in symbols:
                declared = ", ".join(sorted(symbols)) or "none"
                raise fail(f"'{node.id}' is not a declared symbol (declared: {declared})")
            return symbols[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = walk(node.operand, depth + 1)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left, depth + 1), walk(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                if not right.is_Integer or not 0 <= int(right) <= MAX_EXPONENT:
                    raise fail(f"exponents must be whole numbers from 0 to {MAX_EXPONENT}")
            if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) and right == 0:
                raise fail("division by zero")
            result = _BINARY[type(node.op)](left, right)
            if result.is_Integer and abs(int(result)).bit_length() > MAX_BITS:
                raise fail("the number is too large")
            return result
        raise fail("only whole numbers, declared symbols, + - * / // % ** and parentheses are allowed")

    result = walk(tree.body)
    if result.is_Rational and not result.is_Integer:
        raise fail("the result is not a whole number")
    return as_value(result)
