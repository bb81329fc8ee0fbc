"""Smaller indices: Hoelter's critical N, McDonald's fit index, ECVI.

    CN_alpha = qchisq(1 - alpha, df) / (chisq / n) + 1   (Hoelter 1983)
    MFI = exp(-(chisq - df) / (2 n))                       (McDonald 1989)
    ECVI = chisq / n + 2 npar / n                           (Browne & Cudeck 1989)

Source: lavaan ``lav_fit_other.R``.  Checked against: lavaan 0.6-14 ``fitMeasures``.
"""

from __future__ import annotations

import math

from cbeclab.sem import dist as stats
from cbeclab.sem.fit.state import FitState


def other(state: FitState) -> dict[str, float]:
    """``cn_05, cn_01, mfi, ecvi``."""
    x2, df, n = state.chisq, state.df, state.n
    out = {"mfi": math.exp(-0.5 * (x2 - df) / n), "ecvi": x2 / n + 2.0 * state.npar / n}
    for key, a in (("cn_05", 0.05), ("cn_01", 0.01)):
        out[key] = float(stats.chi2.ppf(1 - a, df)) / (x2 / n) + 1.0 if df > 0 and x2 > 0 else math.nan
    return out
