"""Normed fit index (Bentler & Bonett 1980) and its parsimony version.

    NFI = (chisq_b - chisq) / chisq_b,    PNFI = (df / df_b) NFI

Checked against: lavaan 0.6-14 ``fitMeasures`` (``nfi``, ``pnfi``).
"""

from __future__ import annotations

import math

from cbeclab.sem.fit.state import FitState


def nfi(state: FitState) -> dict[str, float]:
    """``nfi`` and ``pnfi``."""
    x2, df = state.chisq, state.df
    b, bdf = state.baseline_chisq, state.baseline_df
    value = (b - x2) / b if b > 0 else math.nan
    return {"nfi": value, "pnfi": (df / bdf) * value if bdf > 0 else math.nan}
