"""Standardized solution (lavaan ``standardizedSolution`` / the ``std.lv`` and ``std.all`` columns).

Rules (lavaan 0.6, ``lav_standardize_lv`` / ``lav_standardize_all``), with model-implied total
standard deviations ``sd`` of all variables and the residual (co)variances ``psi`` of the RAM
``S`` matrix:

* loading / regression ``b`` of ``y`` on ``x``: ``b sd(x) / sd(y)``;
* variance of ``v``: ``psi_vv / sd(v)^2`` (a residual variance becomes 1 - R-square);
* covariance of ``a`` and ``b``: ``psi_ab / sqrt(psi_aa psi_bb)`` (residual correlation);
* ``std_lv`` applies the same rules with the observed variables' SDs set to 1;
* ``:=`` parameters: the expression evaluated on the standardized labelled parameters.

The computation lives in :meth:`cbeclab.sem.ml.CompiledModel.standardized_rows` so the bootstrap
can standardize every resample cheaply; this module gives the tidy table.

Checked against: lavaan 0.6-14 ``parameterEstimates(standardized = TRUE)`` (``tests/test_sem_lavaan.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cbeclab.sem.model import SEMResult

__all__ = ["standardized_solution"]


def standardized_solution(result: SEMResult, kind: str = "std_all") -> pd.DataFrame:
    """lhs, op, rhs, label and the standardized estimate ``est_std`` (``kind`` = std_all | std_lv).

    Examples
    --------
    >>> from cbeclab.sem import Model
    >>> from cbeclab.datasets.classic import political_democracy
    >>> res = Model("ind60 =~ x1 + x2 + x3").fit(political_democracy())
    >>> float(standardized_solution(res)["est_std"].iloc[0].round(3))
    0.917
    """
    if kind not in ("std_all", "std_lv"):
        from cbeclab.errors import SpecError

        raise SpecError(f"unknown standardization {kind!r}", where="kind", fix="use 'std_all' or 'std_lv'")
    out = result.params[["lhs", "op", "rhs", "label"]].copy()
    out["est_std"] = result.params[kind].to_numpy()
    return out
