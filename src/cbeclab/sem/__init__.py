"""Structural equation models, lavaan-compatible (syntax, defaults, output names).

Public API::

    from cbeclab.sem import Model
    res = Model(syntax, std_lv=False).fit(data)        # or .fit(cov=S, nobs=n)
    res.params, res.fit_measures(), res.summary(), res.r2, res.warnings, res.to_dict()

    cm = Model(syntax).compile()                       # fast repeated fits (bootstrap)
    theta, converged, n_iter = cm.fit_cov(S, n, start=theta0)
    cm.standardized(theta); cm.defined(theta)

See :mod:`cbeclab.sem.ml` for the estimation core and :mod:`cbeclab.sem.fit` for the fit indices.
"""

from cbeclab.sem.fit import FitState, fit_measures
from cbeclab.sem.ml import CompiledModel
from cbeclab.sem.model import Model, SEMResult
from cbeclab.sem.partable import ParTable, build_partable
from cbeclab.sem.syntax import parse_model

__all__ = [
    "Model",
    "SEMResult",
    "CompiledModel",
    "ParTable",
    "build_partable",
    "parse_model",
    "FitState",
    "fit_measures",
]
