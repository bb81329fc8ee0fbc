"""Fit measures, one index a file, all reading one :class:`~cbeclab.sem.fit.state.FitState`.

Keys are lavaan's ``fitMeasures()`` names with dots replaced by underscores (``rmsea_ci_lower``,
``baseline_chisq`` ...), plus ``chisq_df`` (chisq / df).
"""

from __future__ import annotations

from cbeclab.sem.fit.baseline import baseline
from cbeclab.sem.fit.cfi import cfi
from cbeclab.sem.fit.chisq import chisq
from cbeclab.sem.fit.gfi import gfi
from cbeclab.sem.fit.ifi import ifi
from cbeclab.sem.fit.loglik import loglik
from cbeclab.sem.fit.nfi import nfi
from cbeclab.sem.fit.other import other
from cbeclab.sem.fit.rfi import rfi
from cbeclab.sem.fit.rmsea import rmsea
from cbeclab.sem.fit.srmr import srmr
from cbeclab.sem.fit.state import FitState
from cbeclab.sem.fit.tli import tli

__all__ = ["FitState", "fit_measures", "INDICES"]

#: the index functions, each ``FitState -> dict``
INDICES = (chisq, baseline, cfi, tli, rfi, nfi, ifi, loglik, rmsea, srmr, gfi, other)


def fit_measures(state: FitState) -> dict[str, float]:
    """All fit measures of a fitted model, in lavaan's order where lavaan has them."""
    out: dict[str, float] = {}
    out["npar"] = float(state.npar)
    for fn in INDICES:
        out.update(fn(state))
    return out
