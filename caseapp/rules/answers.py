"""Three-valued reasoning over yes / no / not-yet-known answers.

A rule over answers (P4 language, the GPT language factor) is a monotone function: a "yes" never
makes the result worse. So its worst case is every unknown taken as "no" and its best case every
unknown as "yes"; when they agree, the unknowns do not matter and the rule is decided now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import product
from typing import TypeVar

from .vocab import Answer

__all__ = ["bounds", "relevant_unknowns"]

T = TypeVar("T")
Rule = Callable[[Mapping[str, bool]], T]


def _resolve(answers: Mapping[str, Answer], unknown_as: bool) -> dict[str, bool]:
    return {
        name: unknown_as if answer is Answer.UNKNOWN else answer is Answer.YES
        for name, answer in answers.items()
    }


def bounds(answers: Mapping[str, Answer], rule: Rule[T]) -> tuple[T, T]:
    """(worst, best) value of a monotone ``rule`` over the possible completions."""
    return rule(_resolve(answers, False)), rule(_resolve(answers, True))


def relevant_unknowns(answers: Mapping[str, Answer], rule: Rule[T]) -> list[str]:
    """The unknown answers whose value can change ``rule`` for some completion of the others.

    These are exactly the questions worth asking; an unknown that cannot matter (written Chinese
    once neither Putonghua nor Cantonese is spoken) is left out. At most a handful of unknowns,
    so trying every completion is cheap.
    """
    unknown = [name for name, answer in answers.items() if answer is Answer.UNKNOWN]
    known = {name: answer is Answer.YES for name, answer in answers.items() if name not in unknown}
    relevant = []
    for name in unknown:
        others = [other for other in unknown if other != name]
        for combo in product((False, True), repeat=len(others)):
            base = {**known, **dict(zip(others, combo, strict=True))}
            if rule({**base, name: True}) != rule({**base, name: False}):
                relevant.append(name)
                break
    return relevant
