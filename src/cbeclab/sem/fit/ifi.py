"""Incremental fit index (Bollen 1989).

    IFI = (chisq_b - chisq) / (chisq_b - df)

Checked against: lavaan 0.6-14 ``fitMeasures`` (``ifi``).
"""

from __future__ import annotations

import math

from cbeclab.sem.fit.state import FitState


def ifi(state: FitState) -> dict[str, float]:
    """``ifi``."""
    x2, df = state.chisq, state.df
    b = state.baseline_chisq
    return {"ifi": (b - x2) / (b - df) if b != df else math.nan}
