"""Goodness-of-fit index and its adjusted and parsimony versions (Joreskog & Sorbom 1984), ML form.

    GFI  = 1 - e' V e / s' V s,   e = vech(S - Sigma), s = vech(S),
           V = D'(Sigma^-1 (x) Sigma^-1)D / 2   (= 1 - tr[(Sigma^-1 S - I)^2] / tr[(Sigma^-1 S)^2])

with the moments of the fixed covariate block left out of ``s`` and ``e`` (lavaan 0.6, ``fixed.x``).
With a mean structure the means join both quadratic forms with weight 2 Sigma^-1 (lavaan's ML weight
matrix for the mean part, found by matching its ``gfi``) and p* grows by p.
Under FIML (lavaan ``lav_model_h1_information_expected`` with missing data) the weight is the
expected information of the incomplete data at the implied moments, each missing-data pattern k
contributing (n_k / n) [Sigma_oo^-1 for the means; D'(Sigma_oo^-1 (x) Sigma_oo^-1)D / 2 for vech],
embedded at its observed variables; ``s`` holds lavaan's sample statistics under FIML (``wls.obs``:
available-case means and pairwise covariances times (n - 1)/n, not the EM moments), the mean
structure is always in, and the covariates' moments get weight 0.
    AGFI = 1 - (p* / df)(1 - GFI),   PGFI = (df / p*) GFI,    p* = p(p+1)/2

Source: lavaan ``lav_fit_gfi.R``.  Checked against: lavaan 0.6-14 ``fitMeasures``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cbeclab.sem.fit.state import FitState


def gfi(state: FitState) -> dict[str, float]:
    """``gfi, agfi, pgfi``."""
    value, nel = gfi_value(state)
    return gfi_family(value, nel, state.df)


def gfi_family(value: float, nel: float, df: float) -> dict[str, float]:
    """``gfi, agfi, pgfi`` from the GFI and the number of sample statistics (lavaan's ``nel``);
    with several groups GFI is the n-weighted mean of the groups' and nel their sum (lavaan)."""
    agfi = 1.0 - (nel / df) * (1.0 - value) if df > 0 else math.nan
    return {"gfi": value, "agfi": agfi, "pgfi": (df / nel) * value}


def gfi_value(state: FitState) -> tuple[float, float]:
    """GFI of one group and its number of sample statistics."""
    if state.fiml_gfi is not None:
        return _gfi_fiml(state)
    p = state.p
    Si = np.linalg.inv(state.Sigma)
    i, j = np.triu_indices(p)
    keep = np.ones(len(i), dtype=bool)
    if state.exo:
        ex = np.zeros(p, dtype=bool)
        ex[list(state.exo)] = True
        keep = ~(ex[i] & ex[j])
    i, j = i[keep], j[keep]
    mult = np.where(i == j, 1.0, 2.0)
    V = (
        0.5
        * (Si[np.ix_(i, i)] * Si[np.ix_(j, j)] + Si[np.ix_(i, j)] * Si[np.ix_(j, i)])
        * np.outer(mult, mult)
    )
    s = state.S[i, j]
    e = s - state.Sigma[i, j]
    num, den = float(e @ V @ e), float(s @ V @ s)
    nel = p * (p + 1) / 2
    if state.has_means:
        assert state.mean_S is not None and state.mean_Sigma is not None
        keep_m = np.setdiff1d(np.arange(p), np.asarray(state.exo, dtype=int))
        Sm = Si[np.ix_(keep_m, keep_m)]
        em = (state.mean_S - state.mean_Sigma)[keep_m]
        sm = state.mean_S[keep_m]
        num += 2.0 * float(em @ Sm @ em)
        den += 2.0 * float(sm @ Sm @ sm)
        nel += p
    return 1.0 - num / den, nel


def _gfi_fiml(state: FitState) -> tuple[float, float]:
    from cbeclab.sem.estimate import expected_information, saturated_jacobian

    assert state.fiml_gfi is not None
    pats, _mean_em, mu = state.fiml_gfi
    p = state.p
    n = pats.n
    X = pd.DataFrame(pats.X)
    mean_obs = X.mean().to_numpy()
    S_obs = X.cov().to_numpy() * (n - 1) / n  # pairwise, as lavaan's sample statistics under FIML
    V = expected_information(pats, state.Sigma, *saturated_jacobian(p)) / pats.n
    iu, ju = np.tril_indices(p)
    if state.exo:
        ex = np.zeros(p, dtype=bool)
        ex[list(state.exo)] = True
        drop = np.concatenate([ex, ex[iu] & ex[ju]])
        V[drop, :] = 0.0
        V[:, drop] = 0.0
    s = np.concatenate([mean_obs, S_obs[iu, ju]])
    e = s - np.concatenate([mu, state.Sigma[iu, ju]])
    return 1.0 - float(e @ V @ e) / float(s @ V @ s), float(len(s))
