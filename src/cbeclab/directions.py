"""Indicator directions: +1 benefit (larger is better), -1 cost (smaller is better).

One parser for every place a direction is written: spec YAML, framework YAML, CLI options, Python calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cbeclab.errors import SpecError

__all__ = ["BENEFIT_WORDS", "COST_WORDS", "parse_direction"]

BENEFIT_WORDS = frozenset({"+", "+1", "1", "benefit", "positive", "pos", "正", "正向", "效益", "效益型"})
COST_WORDS = frozenset({"-", "−", "-1", "cost", "negative", "neg", "负", "负向", "成本", "成本型"})


def parse_direction(value: Any, where: str = "direction") -> int:
    """Read a direction written as ``+``/``-``, ``1``/``-1``, ``benefit``/``cost``, ``正向``/``负向``.

    Returns ``+1`` or ``-1``; raises :class:`~cbeclab.errors.SpecError` naming ``where`` otherwise.

    >>> parse_direction("-"), parse_direction(1), parse_direction("正向")
    (-1, 1, 1)
    """
    if not isinstance(value, bool | np.bool_):
        if isinstance(value, int | float | np.integer | np.floating) and float(value) in (1.0, -1.0):
            return int(value)
        if isinstance(value, str):
            key = value.strip().lower()
            if key in BENEFIT_WORDS:
                return 1
            if key in COST_WORDS:
                return -1
    raise SpecError(
        f"direction {value!r} is not understood",
        where=where,
        fix='write "+" (benefit: larger is better) or "-" (cost: smaller is better)',
    )
