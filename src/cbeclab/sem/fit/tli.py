"""Tucker-Lewis index / non-normed fit index (Bentler & Bonett 1980).

    TLI = (chisq_b / df_b - chisq / df) / (chisq_b / df_b - 1)      (1 when df = 0, as lavaan)

Checked against: lavaan 0.6-14 ``fitMeasures`` (``tli``, ``nnfi``).
"""

from __future__ import annotations

from cbeclab.sem.fit.state import FitState


def tli(state: FitState) -> dict[str, float]:
    """``tli`` and its synonym ``nnfi``."""
    x2, df = state.chisq, state.df
    b, bdf = state.baseline_chisq, state.baseline_df
    if df > 0 and bdf > 0:
        t1 = b / bdf - x2 / df
        t2 = b / bdf - 1.0
        value = 1.0 if t2 == 0 else t1 / t2
    else:
        value = 1.0
    return {"tli": value, "nnfi": value}
