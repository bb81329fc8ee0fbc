"""Fit measures of the general path (mean structure, FIML, robust tests), on the one FitState.

The likelihood-based measures read the casewise log-likelihoods (``chisq = 2 (l_H1 - l_H0)``,
Enders 2010, ch. 4); all other indices are the same files as for complete-data ML, with the EM
moments as the "sample" moments under FIML (lavaan does the same).  Robust versions are in
:mod:`cbeclab.sem.fit.robust`.

Checked against: lavaan 0.6-14 ``fitMeasures`` (``tests/test_sem_fiml.py``).
"""

from __future__ import annotations

from typing import Any

from cbeclab.sem.fit import fit_measures
from cbeclab.sem.fit.robust import robust_family, robust_measures
from cbeclab.sem.fit.state import FitState
from cbeclab.sem.ml import Array


def general_fit_measures(
    *,
    n: int,
    p: int,
    exo: tuple[int, ...],
    exo_free: tuple[int, ...] = (),
    npar: int,
    df: int,
    ll0: float,
    ll1: float,
    llb: float,
    mean_obs: Array,
    cov_obs: Array,
    mu: Array,
    Sigma: Array,
    meanstructure: bool,
    robust: Any = None,
    fiml: bool = False,
    corrected: Any = None,
    ll1_reported: float | None = None,
    patterns: Any = None,
) -> dict[str, float]:
    """All measures lavaan's ``fitMeasures`` gives for this fit (keys with '_' for '.')."""
    state = FitState(
        S=cov_obs,
        Sigma=Sigma,
        n=n,
        npar=npar,
        n_moments=df + npar,
        exo=exo,
        exo_free=exo_free,
        mean_S=mean_obs if meanstructure else None,
        mean_Sigma=mu if meanstructure else None,
        logl_h0=ll0,
        logl_h1=ll1,
        logl_base=llb,
        scaling=None if robust is None else robust.scaling,
        baseline_scaling=None if robust is None else robust.baseline_scaling,
        test="standard" if robust is None else robust.test,
        factor_h1=None if robust is None else robust.factor_h1,
        factor_h0=None if robust is None else robust.factor_h0,
        fiml=fiml,
        corrected=corrected,
        logl_h1_reported=ll1_reported,
        fiml_gfi=(patterns, mean_obs, mu) if (fiml and patterns is not None) else None,
    )
    out = fit_measures(state)
    if robust is not None:
        out.update(robust_measures(state))
    elif fiml:  # lavaan prints the FIML-corrected robust indices for plain ML as well
        out.update(robust_family(state))
    return out
