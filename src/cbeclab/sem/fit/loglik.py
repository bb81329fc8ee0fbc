"""Log-likelihood and information criteria (full-sample normal likelihood, as lavaan).

    logl = -n/2 [p log(2 pi) + log|Sigma| + tr(S Sigma^-1)]
    unrestricted_logl = -n/2 [p log(2 pi) + log|S| + p]
    AIC = -2 logl + 2 npar,  BIC = -2 logl + npar log n,  BIC2 = -2 logl + npar log((n + 2) / 24)

Under ``fixed.x`` lavaan reports the likelihood conditional on the covariates: the marginal
log-likelihood of the covariate block, -n/2 [q log(2 pi) + log|S_xx| + q], is subtracted from both.

Under FIML (and with a mean structure) the casewise log-likelihoods of the model and the
saturated (EM) model are used as they are.  lavaan subtracts the covariates' term with the EM
covariance S_xx from ``logl`` but with the available-case covariance, rescaled by (N - 1)/N, from
``unrestricted.logl``; the two differ under ``missing = "ml.x"`` and we print what lavaan prints
(``chisq`` is 2 (l_H1 - l_H0) with one and the same covariate term).

Source: lavaan ``lav_fit_aic.R``.  Checked against: lavaan 0.6-14 ``fitMeasures``.
"""

from __future__ import annotations

import math

import numpy as np

from cbeclab.sem.fit.state import FitState


def loglik(state: FitState) -> dict[str, float]:
    """``logl, unrestricted_logl, aic, bic, bic2, npar, ntotal``."""
    n, p, k = state.n, state.p, state.npar
    if state.logl_h0 is not None and state.logl_h1 is not None:
        logl, ulogl = state.logl_h0, state.logl_h1
        if state.logl_h1_reported is not None:
            ulogl = state.logl_h1_reported
        return {
            "npar": float(k),
            "ntotal": float(n),
            "logl": logl,
            "unrestricted_logl": ulogl,
            "aic": -2 * logl + 2 * k,
            "bic": -2 * logl + k * math.log(n),
            "bic2": -2 * logl + k * math.log((n + 2) / 24.0),
        }
    _, ld = np.linalg.slogdet(state.Sigma)
    tr = float(np.trace(np.linalg.solve(state.Sigma, state.S)))
    logl = -n / 2.0 * (p * math.log(2 * math.pi) + ld + tr)
    _, lds = np.linalg.slogdet(state.S)
    ulogl = -n / 2.0 * (p * math.log(2 * math.pi) + lds + p)
    if state.exo:
        q = len(state.exo)
        _, ldx = np.linalg.slogdet(state.S[np.ix_(state.exo, state.exo)])
        lx = -n / 2.0 * (q * math.log(2 * math.pi) + ldx + q)
        logl -= lx
        ulogl -= lx
    return {
        "npar": float(k),
        "ntotal": float(n),
        "logl": logl,
        "unrestricted_logl": ulogl,
        "aic": -2 * logl + 2 * k,
        "bic": -2 * logl + k * math.log(n),
        "bic2": -2 * logl + k * math.log((n + 2) / 24.0),
    }
