"""Model chi-square test.

    chisq = n F_ML,   df = moments - free parameters,   pvalue = P(chi2_df > chisq),
    fmin = F_ML / 2 (lavaan's objective),   chisq_df = chisq / df.

Source: Joreskog (1969); lavaan ``lav_test.R``.  Checked against: lavaan 0.6-14 ``fitMeasures``.
"""

from __future__ import annotations

import math

from cbeclab.sem import dist as stats
from cbeclab.sem.fit.state import FitState


def chisq(state: FitState) -> dict[str, float]:
    """``fmin, chisq, df, pvalue, chisq_df`` (pvalue NaN when df = 0, as in lavaan)."""
    x2 = state.chisq
    df = state.df
    return {
        "fmin": state.f_ml / 2.0,
        "chisq": x2,
        "df": float(df),
        "pvalue": float(stats.chi2.sf(x2, df)) if df > 0 else math.nan,
        "chisq_df": x2 / df if df > 0 else math.nan,
    }
