"""Full-information ML: the casewise normal likelihood, grouped by missing-data pattern.

For pattern ``k`` (``n_k`` rows observing the variables ``o``, with sample mean ``ybar_k`` and
divisor-``n_k`` covariance ``S_k``) the log-likelihood of the rows is

    l_k = -n_k / 2 [ p_o log(2 pi) + log|Sigma_oo| + tr(Sigma_oo^-1 C_k) ],
    C_k = S_k + (ybar_k - mu_o)(ybar_k - mu_o)'

so the casewise likelihood (Arbuckle 1996; Enders 2010, ch. 4) costs one Cholesky factor per
pattern, not per row.  Its derivatives are

    dl_k / dmu_o    = n_k Sigma_oo^-1 (ybar_k - mu_o)
    dl_k / dSigma_oo = -n_k / 2 [Sigma_oo^-1 - Sigma_oo^-1 C_k Sigma_oo^-1]

and the scores of one row ``y`` (``d = y_o - mu_o``, ``a = Sigma_oo^-1 d``) are
``a`` and ``-(Sigma_oo^-1 - a a') / 2``.  The unrestricted (H1) model is fitted by the EM algorithm
(Dempster, Laird & Rubin 1977; Little & Rubin 2002, sec. 11.2), as lavaan's ``lav_mvnorm_missing_h1``.

Complete data are the one-pattern special case.  Checked against: lavaan 0.6-14 ``missing = "ml"``
(``lavInspect(fit, "sampstat.h1")``, ``logl``, ``unrestricted.logl``) in ``tests/test_sem_fiml.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbeclab.errors import ConvergenceError
from cbeclab.sem.ml import Array

__all__ = ["Pattern", "Patterns", "em_h1"]

LOG2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class Pattern:
    """Rows sharing one set of observed variables."""

    obs: Array  # indices of the observed variables
    rows: Array  # row indices into the data
    Y: Array  # the observed values, n_k x p_o
    mean: Array
    cov: Array  # divisor n_k

    @property
    def n(self) -> int:
        return int(self.Y.shape[0])


class Patterns:
    """The missing-data patterns of a data matrix (rows with no observed value are dropped).

    Parameters
    ----------
    X
        n x p array with NaN for missing cells.
    names
        Variable names (for :meth:`to_frame`).
    """

    def __init__(self, X: Array, names: tuple[str, ...]) -> None:
        self.names = names
        R = np.isfinite(X)
        keep = R.any(axis=1)
        self.n_empty = int((~keep).sum())
        X, R = X[keep], R[keep]
        self.X = X
        self.n, self.p = X.shape
        codes, inv = np.unique(R, axis=0, return_inverse=True)
        inv = np.asarray(inv).reshape(-1)
        order = np.argsort(-np.bincount(inv), kind="stable")
        pats = []
        for c in order.tolist():
            rows = np.flatnonzero(inv == c)
            obs = np.flatnonzero(codes[c])
            Y = X[np.ix_(rows, obs)]
            mean = Y.mean(axis=0)
            D = Y - mean
            pats.append(Pattern(obs=obs, rows=rows, Y=Y, mean=mean, cov=D.T @ D / len(rows)))
        self.patterns: tuple[Pattern, ...] = tuple(pats)

    @property
    def complete(self) -> bool:
        return len(self.patterns) == 1 and len(self.patterns[0].obs) == self.p

    def coverage(self) -> Array:
        """Proportion of rows observing each pair of variables (lavaan ``lavInspect(, "coverage")``)."""
        R = np.isfinite(self.X).astype(float)
        return (R.T @ R) / self.n

    def to_frame(self) -> pd.DataFrame:
        """One row per pattern: ``n`` and 1/0 for observed/missing per variable (lavaan "patterns")."""
        rows = []
        for pat in self.patterns:
            flags = np.zeros(self.p, dtype=int)
            flags[pat.obs] = 1
            rows.append({"n": pat.n, **dict(zip(self.names, flags.tolist(), strict=True))})
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ likelihood
    def loglik(self, mu: Array, Sigma: Array) -> float:
        """Sum of the casewise log-likelihoods (-inf when a Sigma_oo is not positive definite)."""
        total = 0.0
        for pat in self.patterns:
            o = pat.obs
            try:
                L = np.linalg.cholesky(Sigma[np.ix_(o, o)])
            except np.linalg.LinAlgError:
                return -math.inf
            d = pat.mean - mu[o]
            C = pat.cov + np.outer(d, d)
            Li = np.linalg.inv(L)
            tr = float(np.einsum("ij,ij->", Li @ C, Li))
            total += -0.5 * pat.n * (len(o) * LOG2PI + 2.0 * float(np.log(np.diag(L)).sum()) + tr)
        return total

    def gradient(self, mu: Array, Sigma: Array) -> tuple[Array, Array]:
        """``dl/dmu`` (p) and ``dl/dSigma`` (p x p, symmetric, d tr(G dSigma) convention)."""
        gmu = np.zeros(self.p)
        GS = np.zeros((self.p, self.p))
        for pat in self.patterns:
            o = pat.obs
            Si = np.linalg.inv(Sigma[np.ix_(o, o)])
            d = pat.mean - mu[o]
            C = pat.cov + np.outer(d, d)
            gmu[o] += pat.n * (Si @ d)
            GS[np.ix_(o, o)] += -0.5 * pat.n * (Si - Si @ C @ Si)
        return gmu, GS

    def casewise_loglik(self, mu: Array, Sigma: Array) -> Array:
        """Log-likelihood of every row (data order)."""
        out = np.empty(self.n)
        for pat in self.patterns:
            o = pat.obs
            S_oo = Sigma[np.ix_(o, o)]
            L = np.linalg.cholesky(S_oo)
            Z = np.linalg.solve(L, (pat.Y - mu[o]).T)
            out[pat.rows] = -0.5 * (len(o) * LOG2PI + 2.0 * np.log(np.diag(L)).sum() + (Z * Z).sum(axis=0))
        return out


def em_h1(pats: Patterns, *, max_iter: int = 2000, tol: float = 1e-10) -> tuple[Array, Array, int]:
    """ML estimates of the unrestricted mean and covariance under MAR, by EM.

    E step: for each pattern, the conditional mean of the missing part given the observed one,
    ``E[y_m | y_o] = mu_m + Sigma_mo Sigma_oo^-1 (y_o - mu_o)``, and the conditional covariance
    ``Sigma_mm - Sigma_mo Sigma_oo^-1 Sigma_om`` added to the cross-products; M step: mean and
    divisor-n covariance of the completed data.  Starts from the available-case means and
    variances; stops when the log-likelihood changes by less than ``tol`` (relative) and the
    largest moment change is below ``sqrt(tol)``.

    Returns
    -------
    mu, Sigma, n_iter
    """
    p, n = pats.p, pats.n
    X = pats.X
    mu = np.nanmean(X, axis=0)
    Sigma = np.diag(np.nanvar(X, axis=0))
    if pats.complete:
        pat = pats.patterns[0]
        return pat.mean.copy(), pat.cov.copy(), 0
    ll_old = pats.loglik(mu, Sigma)
    for it in range(1, max_iter + 1):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for pat in pats.patterns:
            o = pat.obs
            mis = np.setdiff1d(np.arange(p), o)
            Yc = np.empty((pat.n, p))
            Yc[:, o] = pat.Y
            extra = np.zeros((p, p))
            if len(mis):
                S_oo = Sigma[np.ix_(o, o)]
                S_mo = Sigma[np.ix_(mis, o)]
                Bt = np.linalg.solve(S_oo, S_mo.T).T  # Sigma_mo Sigma_oo^-1
                Yc[:, mis] = mu[mis] + (pat.Y - mu[o]) @ Bt.T
                extra[np.ix_(mis, mis)] = pat.n * (Sigma[np.ix_(mis, mis)] - Bt @ S_mo.T)
            T1 += Yc.sum(axis=0)
            T2 += Yc.T @ Yc + extra
        mu_new = T1 / n
        Sigma_new = T2 / n - np.outer(mu_new, mu_new)
        ll = pats.loglik(mu_new, Sigma_new)
        change = max(float(np.max(np.abs(mu_new - mu))), float(np.max(np.abs(Sigma_new - Sigma))))
        mu, Sigma = mu_new, Sigma_new
        if abs(ll - ll_old) < tol * (1.0 + abs(ll)) and change < math.sqrt(tol):
            return mu, Sigma, it
        ll_old = ll
    raise ConvergenceError(
        f"the EM algorithm for the unrestricted (H1) model did not converge in {max_iter} iterations",
        where="FIML saturated model",
        fix="check for variables that are almost never observed together (see the coverage table)",
    )
