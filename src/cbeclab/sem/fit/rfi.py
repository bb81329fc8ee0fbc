"""Relative fit index (Bollen 1986).

    RFI = (chisq_b / df_b - chisq / df) / (chisq_b / df_b)     (NaN when df = 0)

Checked against: lavaan 0.6-14 ``fitMeasures`` (``rfi``).
"""

from __future__ import annotations

import math

from cbeclab.sem.fit.state import FitState


def rfi(state: FitState) -> dict[str, float]:
    """``rfi``."""
    x2, df = state.chisq, state.df
    b, bdf = state.baseline_chisq, state.baseline_df
    if df <= 0 or bdf <= 0 or b == 0:
        return {"rfi": math.nan}
    return {"rfi": (b / bdf - x2 / df) / (b / bdf)}
