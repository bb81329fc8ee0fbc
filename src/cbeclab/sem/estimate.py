"""ML with a mean structure and/or missing data (FIML), and the information matrices robust ML needs.

The objective is the casewise normal log-likelihood of :mod:`cbeclab.sem.fiml` (complete data =
one pattern, where it equals lavaan's ML with ``meanstructure = TRUE``).  The gradient with
respect to ``theta`` is the chain rule through the Jacobian of ``(mu, Sigma)``
(:meth:`cbeclab.sem.moments.MomentModel.jacobian`):

    dl/dtheta_t = (dl/dmu)' dmu_t + tr(dl/dSigma dSigma_t).

Fisher scoring uses the expected information of the observed parts of each pattern,

    I = sum_k n_k [dmu_o' Sigma_oo^-1 dmu_o + tr(Sigma_oo^-1 dSigma_oo Sigma_oo^-1 dSigma_oo) / 2],

and lavaan's "observed" information (its default under ``missing = "ml"`` and for MLR) is the
Hessian of -l / N, here by central differences of the analytic gradient.  Every routine takes
``(mu, Sigma, dmu, dSigma)`` so that the same code serves the model (H0, ``dmu, dSigma`` from the
Jacobian) and the saturated model (H1, ``dmu, dSigma`` the unit vectors of mean and vech(Sigma)).

Checked against: lavaan 0.6-14 (``tests/test_sem_fiml.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from cbeclab.errors import ConvergenceError
from cbeclab.sem.fiml import Patterns
from cbeclab.sem.ml import Array
from cbeclab.sem.moments import MomentModel

__all__ = [
    "chain_gradient",
    "expected_information",
    "casewise_scores",
    "fit_ml",
    "numeric_jacobian",
    "saturated_jacobian",
]


def chain_gradient(gmu: Array, GS: Array, dmu: Array, dS: Array) -> Array:
    """``(dl/dmu)' dmu + tr(dl/dSigma dSigma)`` for every column of the Jacobian."""
    return gmu @ dmu + np.einsum("ij,ijt->t", GS, dS)


def expected_information(pats: Patterns, Sigma: Array, dmu: Array, dS: Array) -> Array:
    """Expected information of all rows (not divided by n), see the module docstring."""
    q = dmu.shape[1]
    info = np.zeros((q, q))
    for pat in pats.patterns:
        o = pat.obs
        Si = np.linalg.inv(Sigma[np.ix_(o, o)])
        dm = dmu[o]
        X = np.einsum("ij,jkt->ikt", Si, dS[np.ix_(o, o)])
        info += pat.n * (dm.T @ Si @ dm + 0.5 * np.einsum("ijs,jit->st", X, X))
    return info


def casewise_scores(pats: Patterns, mu: Array, Sigma: Array, dmu: Array, dS: Array) -> Array:
    """Scores (n x q, data order): d l_i / d theta = a' dmu + (a' dSigma a - tr(Sigma^-1 dSigma)) / 2."""
    q = dmu.shape[1]
    out = np.zeros((pats.n, q))
    for pat in pats.patterns:
        o = pat.obs
        Si = np.linalg.inv(Sigma[np.ix_(o, o)])
        a = (pat.Y - mu[o]) @ Si
        dSo = dS[np.ix_(o, o)]
        t2 = np.einsum("ij,jit->t", Si, dSo)
        t3 = np.einsum("ni,ijt,nj->nt", a, dSo, a)
        out[pat.rows] = a @ dmu[o] + 0.5 * (t3 - t2)
    return out


def saturated_jacobian(p: int, keep: Array | None = None) -> tuple[Array, Array]:
    """``dmu, dSigma`` of the saturated model in (mu, vech Sigma) coordinates (optionally a subset)."""
    iu, ju = np.tril_indices(p)
    k = p + len(iu)
    dmu = np.zeros((p, k))
    dS = np.zeros((p, p, k))
    dmu[np.arange(p), np.arange(p)] = 1.0
    t = p + np.arange(len(iu))
    dS[iu, ju, t] = 1.0
    dS[ju, iu, t] = 1.0
    if keep is not None:
        return dmu[:, keep], dS[:, :, keep]
    return dmu, dS


def numeric_jacobian(grad: Callable[[Array], Array], x: Array) -> Array:
    """Central-difference Jacobian of an analytic gradient (steps 1e-5 scaled), symmetrised."""
    q = len(x)
    H = np.zeros((q, q))
    for t in range(q):
        h = 1e-5 * max(1.0, abs(x[t]))
        xp, xm = x.copy(), x.copy()
        xp[t] += h
        xm[t] -= h
        H[:, t] = (grad(xp) - grad(xm)) / (2.0 * h)
    return 0.5 * (H + H.T)


def fit_ml(
    mm: MomentModel | Sequence[MomentModel],
    pats: Patterns | Sequence[Patterns],
    start: Array,
    *,
    max_iter: int = 500,
    tol: float = 1e-14,
) -> tuple[Array, bool, int]:
    """Maximise the casewise log-likelihood (summed over groups) by Fisher scoring with step halving.

    ``mm`` / ``pats`` are one model and its data, or one per group sharing ``theta`` (multi-group).
    ``pats`` may also be :class:`cbeclab.sem.rowboot.StackedPatterns` (a resample's patterns as
    stacks, with ``loglik`` and ``gradient_information``).
    Stops when the largest step is below ``tol^(1/2) (1 + max|theta|)`` after a full step, or when
    the log-likelihood changes by less than ``tol^2`` relative.

    Returns
    -------
    theta, converged, n_iter
    """
    mms = [mm] if isinstance(mm, MomentModel) else list(mm)
    one = isinstance(pats, Patterns) or hasattr(pats, "gradient_information")
    pss: list[Patterns] = [pats] if one else list(pats)  # type: ignore[list-item, arg-type]

    def loglik(th: Array) -> float:
        total = 0.0
        for m_, p_ in zip(mms, pss, strict=True):
            mu_, S_ = m_.implied(th)
            total += p_.loglik(mu_, S_)
        return total

    theta = start.copy()
    ll = loglik(theta)
    if not math.isfinite(ll):
        raise ConvergenceError(
            "the starting values give a model-implied covariance that is not positive definite",
            where="ML estimation",
            fix="give start() values or check the model",
        )
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        g = np.zeros(len(theta))
        info = np.zeros((len(theta), len(theta)))
        for m_, p_ in zip(mms, pss, strict=True):
            mu_, S_ = m_.implied(theta)
            dmu, dS = m_.jacobian(theta)
            both = getattr(p_, "gradient_information", None)  # stacked patterns (the bootstrap)
            if both is not None:
                g_i, info_i = both(mu_, S_, dmu, dS)
                g += g_i
                info += info_i
                continue
            g += chain_gradient(*p_.gradient(mu_, S_), dmu, dS)
            info += expected_information(p_, S_, dmu, dS)
        try:
            step = np.linalg.solve(info, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, g, rcond=None)[0]
        alpha = 1.0
        new = None
        for _ in range(30):
            cand = theta + alpha * step
            ll2 = loglik(cand)
            if math.isfinite(ll2) and ll2 >= ll - 1e-12 * (1.0 + abs(ll)):
                new = (cand, ll2)
                break
            alpha *= 0.5
        if new is None:
            converged = bool(np.max(np.abs(step)) < 1e-6 * (1.0 + np.max(np.abs(theta))))
            break
        size = float(np.max(np.abs(alpha * step))) if len(step) else 0.0
        theta, ll_new = new
        dll = ll_new - ll
        ll = ll_new
        if alpha == 1.0 and (
            size < math.sqrt(tol) * (1.0 + np.max(np.abs(theta))) or abs(dll) < tol * tol * (1.0 + abs(ll))
        ):
            converged = True
            break
    return theta, converged, it
