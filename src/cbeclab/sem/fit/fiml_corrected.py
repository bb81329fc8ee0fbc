"""FIML-corrected statistics behind lavaan's ``.robust`` CFI/TLI/RNI/RMSEA under missing data.

Under ``missing = "ml"`` the usual robust indices (Brosseau-Liard & Savalei) would need a
complete-data chi-square.  lavaan 0.6 (``lav_fit_fiml_corrected``, after Zhang & Savalei 2023,
"FIML-corrected" CFI/RMSEA) builds one from the EM (H1) moments ``m~, S~``:

    XX3   = sum_g N_g F_ML(m~_g, S~_g; mu_g(theta^), Sigma_g(theta^))     (no re-estimation)
    Wm    = observed information of the saturated FIML model at the EM moments (per N),
    Jm    = its first-order information (mean outer product of the casewise scores),
    Wc    = complete-data normal-theory information at S~,
    E     = Delta' Wm Delta,   U = Wm - Wm Delta E^-1 Delta' Wm,
    k     = tr(Wc Wm^-1 U Wm^-1)                                    (version "V6": estimator ML)
    k     = tr(U Wm^-1 Wc Wm^-1 U Gamma),  Gamma = Wm^-1 Jm Wm^-1    (version "V3": MLR)
    c3    = k / df,

with every block weighted by the group share f_g = N_g / N (Wm, Wc times f_g, Wm^-1 and Gamma
divided by it).  The same is done for the baseline (independence) model, giving ``XX3_null`` and
``c3_null``; the ``.robust`` indices then use (XX3, c3) and (XX3_null, c3_null) in place of the
unscaled statistic and the scaling factor (see :mod:`cbeclab.sem.fit.robust`).

Checked against: lavaan 0.6-14 ``fitMeasures`` (``cfi.robust``, ``tli.robust``, ``rni.robust``,
``rmsea.robust`` and its CI and p-values) for ``missing = "ml"`` with ``estimator = "ML"`` and
``"MLR"`` on two data sets (``tests/test_sem_fiml.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import block_diag

from cbeclab.sem.fiml import Patterns
from cbeclab.sem.fit.state import Array, ml_f

__all__ = ["FimlCorrected", "GroupMoments", "fiml_corrected"]


@dataclass(frozen=True)
class GroupMoments:
    """One group's data, EM moments, model (H0) and baseline implied moments and Jacobians.

    The Jacobians are in saturated coordinates ``(mu, vech Sigma)`` (rows) by free parameters."""

    pats: Patterns
    mean1: Array
    cov1: Array
    mu: Array
    Sigma: Array
    delta: Array
    mu_b: Array
    Sigma_b: Array
    delta_b: Array


@dataclass(frozen=True)
class FimlCorrected:
    """lavaan's ``XX3, df3, c.hat3`` and their baseline counterparts."""

    chisq: float
    scaling: float
    baseline_chisq: float
    baseline_scaling: float


def _f_mean(m: Array, S: Array, mu: Array, Sigma: Array) -> float:
    d = m - mu
    return ml_f(S, Sigma) + float(d @ np.linalg.solve(Sigma, d))


def fiml_corrected(
    groups: Sequence[GroupMoments], df: int, df_b: int, *, scaled: bool, keep: Array | None = None
) -> FimlCorrected:
    """The FIML-corrected statistics (``scaled=True``: lavaan's "V3", for MLR; else "V6")."""
    from cbeclab.sem.estimate import casewise_scores, saturated_jacobian
    from cbeclab.sem.general import _h1_expected, _observed_at

    N = sum(g.pats.n for g in groups)
    Wm, Wmi, Wc, Gam = [], [], [], []
    xx3 = xx3_b = 0.0
    for g in groups:
        n, p = g.pats.n, g.pats.p
        fg = n / N
        dmu1, dS1 = saturated_jacobian(p, keep)
        wm = _observed_at(g.pats, g.mean1, g.cov1, dmu1, dS1) / n
        wmi = np.linalg.inv(wm)
        Wm.append(fg * wm)
        Wmi.append(wmi / fg)
        wc = _h1_expected(g.cov1, p)
        Wc.append(fg * (wc if keep is None else wc[np.ix_(keep, keep)]))
        if scaled:
            s1 = casewise_scores(g.pats, g.mean1, g.cov1, dmu1, dS1)
            Gam.append(wmi @ (s1.T @ s1 / n) @ wmi / fg)
        xx3 += n * _f_mean(g.mean1, g.cov1, g.mu, g.Sigma)
        xx3_b += n * _f_mean(g.mean1, g.cov1, g.mu_b, g.Sigma_b)
    Wm_all, Wmi_all, Wc_all = block_diag(*Wm), block_diag(*Wmi), block_diag(*Wc)
    Gam_all = block_diag(*Gam) if scaled else None

    def trace(delta: Array) -> float:
        WD = Wm_all @ delta
        U = Wm_all - WD @ np.linalg.solve(delta.T @ WD, WD.T)
        if Gam_all is None:
            return float(np.trace(Wc_all @ Wmi_all @ U @ Wmi_all))
        return float(np.trace(U @ Wmi_all @ Wc_all @ Wmi_all @ U @ Gam_all))

    rows = slice(None) if keep is None else keep
    k = trace(np.concatenate([g.delta[rows] for g in groups], axis=0))
    kb = trace(block_diag(*[g.delta_b[rows] for g in groups]))  # each group its own baseline parameters
    return FimlCorrected(
        chisq=xx3,
        scaling=k / df if df > 0 else math.nan,
        baseline_chisq=xx3_b,
        baseline_scaling=kb / df_b if df_b > 0 else math.nan,
    )
