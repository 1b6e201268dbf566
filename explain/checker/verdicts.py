"""Verdicts (SPEC §5), given the true count and what the claim wrote.

| verdict           | when                                                                      |
| correct           | the result equals the expected count, and so does the formula if given   |
| arithmetic_slip   | the formula evaluates to the expected count but the stated result does not |
| wrong_formula     | the stated result is right but the formula does not evaluate to it       |
| wrong             | the result (or the formula, where no result is given) is not the count    |
| unreadable        | the claim could not be read or judged (the report gives the reason)       |
| unattributed      | a calculation in a document that fits no layer, or several equally        |
"""
from __future__ import annotations

from .arith import Work, evaluate

VERDICTS = ("correct", "arithmetic_slip", "wrong_formula", "wrong", "unreadable", "unattributed")


def verdict(work: Work, expected: int) -> str:
    formula, result = work.formula_value, work.result_value
    steps_ok = all(evaluate(s) == expected for s in work.steps)
    if result is None:
        return "correct" if formula == expected else "wrong"
    if result == expected:
        if formula is None or formula == expected:
            return "correct" if steps_ok else "arithmetic_slip"
        return "wrong_formula"
    return "arithmetic_slip" if formula == expected else "wrong"


def wrong_values(work: Work, expected: int) -> list[int]:
    """The numbers of the claim that differ from the expected count (formula first)."""
    out = []
    for v in (work.formula_value, *(evaluate(s) for s in work.steps), work.result_value):
        if v is not None and v != expected and v not in out:
            out.append(v)
    return out
