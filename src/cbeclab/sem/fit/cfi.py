"""Comparative fit index (Bentler 1990) and relative noncentrality index.

    CFI = 1 - max(chisq - df, 0) / max(chisq - df, chisq_b - df_b, 0)
    RNI = 1 - (chisq - df) / (chisq_b - df_b)

Checked against: lavaan 0.6-14 ``fitMeasures`` (``cfi``, ``rni``).
"""

from __future__ import annotations

import math

from cbeclab.sem.fit.state import FitState


def cfi(state: FitState) -> dict[str, float]:
    """``cfi`` and ``rni``."""
    x2, df = state.chisq, state.df
    b, bdf = state.baseline_chisq, state.baseline_df
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, b - bdf, 0.0)
    value = 1.0 if (abs(t1) < 1e-12 and abs(t2) < 1e-12) else 1.0 - t1 / t2
    rni = 1.0 - (x2 - df) / (b - bdf) if b != bdf else math.nan
    return {"cfi": value, "rni": rni}
