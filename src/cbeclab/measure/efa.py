"""Exploratory factor analysis as psych::fa: principal axis (``fm="pa"``), maximum likelihood
(``fm="ml"``) and minimum residual (``fm="minres"``) extraction; varimax / promax rotation.

Extraction (``R`` the item correlation matrix, ``k`` factors):

* **pa** -- iterated principal axis. Start with squared multiple correlations (SMC) on the diagonal of
  ``R``; repeat: ``L = V_k diag(sqrt(e_k))`` from the eigen decomposition of the reduced matrix, put
  ``diag(L L')`` on the diagonal, until the *sum* of communalities changes by at most ``min_err``
  (psych default 0.001) or ``max_iter`` (50) passes. As in psych the loadings are those of the last
  eigen decomposition (communalities are not iterated to full convergence).
* **ml** -- minimise ``F(psi) = -sum_{j>k} (ln e_j - e_j) + k - p`` where ``e`` are the eigenvalues of
  ``Psi^-1/2 R Psi^-1/2`` (Joreskog 1967; the objective and gradient of psych/factanal), uniquenesses
  bounded to ``[0.005, 1]``, starting at ``1 - SMC``; ``L = Psi^1/2 V_k diag(sqrt(max(e_k - 1, 0)))``.
* **minres** -- minimise the sum of squared off-diagonal residuals of ``R - L L'`` over the
  uniquenesses (psych's default ``fm``; used here for parallel analysis and omega).

After extraction columns are flipped so each column sum is positive, rotated, flipped again, and
ordered by decreasing SS loadings (for promax ``diag(Phi L'L)``); column names keep their extraction
labels (``PA1``, ``ML2``...), so a promax solution may print as ``PA2 PA1`` just like psych.
``communality = diag(L L')``, ``uniqueness = 1 - communality`` and the variance table holds SS loadings,
proportion and cumulative proportion of total variance ``p`` and of explained variance.

Source: seed 000 §4.2 (five factors, 67.768 % of variance, SPSS). Checked against: psych::fa 2.2.9
(``fm = "pa" | "ml"``, ``rotate = "varimax" | "promax"``) on bfi and the synthetic Yongkang survey
(``tests/fixtures/psych_*.json``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize

from cbeclab.errors import CbecWarning, ConvergenceError, ModelError, SpecError
from cbeclab.i18n import _
from cbeclab.measure._common import correlation_input, json_safe, smc, sym_eigh
from cbeclab.measure.rotation import promax, varimax

__all__ = ["EFAResult", "efa"]

_PREFIX = {"pa": "PA", "ml": "ML", "minres": "MR"}


@dataclass(frozen=True)
class EFAResult:
    """Fitted EFA (psych::fa layout).

    Attributes
    ----------
    loadings
        Pattern loadings, items x factors (psych's column order and names).
    structure
        Structure matrix ``L Phi`` (equal to ``loadings`` for orthogonal rotations).
    phi
        Factor correlations (promax) or ``None``.
    communality, uniqueness
        ``h2 = diag(L L')`` and ``u2 = 1 - h2`` per item.
    variance
        Rows ``SS loadings``, ``Proportion Var``, ``Cumulative Var``, ``Proportion Explained``,
        ``Cumulative Proportion``; one column per factor.
    e_values
        Eigenvalues of the correlation matrix (psych ``e.values``).
    values
        Eigenvalues of the reduced matrix (psych ``values``).
    """

    loadings: pd.DataFrame
    structure: pd.DataFrame
    phi: pd.DataFrame | None
    communality: pd.Series
    uniqueness: pd.Series
    variance: pd.DataFrame
    e_values: np.ndarray
    values: np.ndarray
    rotation_matrix: np.ndarray | None
    n_factors: int
    fm: str
    rotate: str
    n_obs: int | None
    iterations: int
    converged: bool
    objective: float | None

    def to_frame(self) -> pd.DataFrame:
        """psych-style table: one row per item with the loadings, ``h2`` and ``u2``."""
        out = self.loadings.copy()
        out["h2"] = self.communality
        out["u2"] = self.uniqueness
        return out.rename_axis("item").reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every field (matrices as ``{row: {col: value}}``)."""
        return json_safe(
            {
                "fm": self.fm,
                "rotate": self.rotate,
                "n_factors": self.n_factors,
                "n_obs": self.n_obs,
                "iterations": self.iterations,
                "converged": self.converged,
                "objective": self.objective,
                "loadings": self.loadings,
                "structure": self.structure,
                "phi": self.phi,
                "communality": self.communality,
                "uniqueness": self.uniqueness,
                "variance": self.variance,
                "e_values": self.e_values,
                "values": self.values,
            }
        )


def _fit_pa(r: np.ndarray, k: int, max_iter: int, min_err: float) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """psych's iterated principal axis loop (``fac``, ``fm == "pa"``)."""
    rm = r.copy()
    np.fill_diagonal(rm, smc(r))
    comm = float(np.trace(rm))
    err = comm
    i = 1
    converged = True
    vals = np.diag(rm)
    load = np.zeros((r.shape[0], k))
    while err > min_err:
        vals, vecs = sym_eigh(rm)
        if np.any(vals[:k] < 0):
            raise ModelError(
                _("a retained eigenvalue of the reduced correlation matrix became negative"),
                where="efa(fm='pa')",
                fix=_("extract fewer factors or use fm='ml'"),
            )
        load = vecs[:, :k] * np.sqrt(vals[:k])
        new = (load**2).sum(axis=1)
        comm1 = float(new.sum())
        np.fill_diagonal(rm, new)
        err = abs(comm - comm1)
        comm = comm1
        i += 1
        if i > max_iter:
            converged = err <= min_err
            break
    return load, vals, i - 1, converged


def _ml_objective(psi: np.ndarray, r: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """psych's ``FAfn`` and ``FAgr`` (same as stats::factanal)."""
    sc = 1.0 / np.sqrt(psi)
    s_star = r * np.outer(sc, sc)
    e, v = sym_eigh(s_star)
    rest = e[k:]
    f = -(np.sum(np.log(rest) - rest) - k + r.shape[0])
    load = v[:, :k] * np.sqrt(np.maximum(e[:k] - 1, 0))
    load = load * np.sqrt(psi)[:, None]
    g = (load**2).sum(axis=1) + psi - np.diag(r)
    return float(f), g / psi**2


def _minres_objective(psi: np.ndarray, r: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """psych's ``fit.residuals`` (fm = "minres") and ``FAgr.minres``."""
    s = r.copy()
    np.fill_diagonal(s, 1 - psi)
    e, v = sym_eigh(s)
    e = np.where(e < np.finfo(float).eps, 100 * np.finfo(float).eps, e)
    load = v[:, :k] * np.sqrt(e[:k])
    resid = s - load @ load.T
    f = float(np.sum(resid[np.tril_indices_from(resid, -1)] ** 2))
    s2 = r - np.diag(psi)
    e2, v2 = sym_eigh(s2)
    load2 = v2[:, :k] * np.sqrt(np.maximum(e2[:k], 0))
    g = (load2**2).sum(axis=1) + psi - np.diag(r)
    return f, g


def _fit_opt(
    r: np.ndarray, k: int, fm: str, max_iter: int
) -> tuple[np.ndarray, np.ndarray, int, bool, float]:
    """Optimise the uniquenesses (L-BFGS-B, bounds [0.005, max(SMC, 1)], start 1 - SMC)."""
    s_smc = smc(r)
    upper = max(float(s_smc.max()), 1.0)
    start = np.diag(r) - s_smc
    fun = _ml_objective if fm == "ml" else _minres_objective
    res = optimize.minimize(
        fun,
        start,
        args=(r, k),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.005, upper)] * r.shape[0],
        options={"maxiter": max(max_iter, 1000), "ftol": 1e-15, "gtol": 1e-10},
    )
    psi = res.x
    if fm == "ml":
        sc = 1.0 / np.sqrt(psi)
        e, v = sym_eigh(r * np.outer(sc, sc))
        load = v[:, :k] * np.sqrt(np.maximum(e[:k] - 1, 0)) * np.sqrt(psi)[:, None]
    else:
        e, v = sym_eigh(r - np.diag(psi))
        load = v[:, :k] * np.sqrt(np.maximum(e[:k], 0))
    red = r.copy()
    np.fill_diagonal(red, (load**2).sum(axis=1))
    vals, _unused = sym_eigh(red)
    ok = bool(res.success) or bool(np.linalg.norm(res.jac, np.inf) < 1e-6)
    return load, vals, int(res.nit), ok, float(res.fun)


def efa(
    data: pd.DataFrame | None = None,
    n_factors: int = 1,
    *,
    corr: Any = None,
    n_obs: int | None = None,
    fm: Literal["pa", "ml", "minres"] = "pa",
    rotate: Literal["varimax", "promax", "none"] = "varimax",
    max_iter: int = 50,
    min_err: float = 0.001,
) -> EFAResult:
    """Exploratory factor analysis with psych::fa's algorithms and conventions.

    Parameters
    ----------
    data
        Raw item scores (pairwise-complete Pearson correlations), or
    corr
        a correlation matrix instead of ``data`` (with optional ``n_obs``).
    n_factors
        Number of factors ``k`` (``1 <= k < p``).
    fm
        ``"pa"`` principal axis (psych's iteration and stopping rule), ``"ml"`` maximum likelihood,
        ``"minres"`` minimum residual.
    rotate
        ``"varimax"`` (stats::varimax, Kaiser-normalised), ``"promax"`` (psych: Kaiser + Promax,
        ``m = 4``) or ``"none"``; ignored for one factor.
    max_iter, min_err
        Principal-axis iteration limits (psych defaults 50 and 0.001).

    Returns
    -------
    EFAResult

    Raises
    ------
    SpecError
        Unknown ``fm`` / ``rotate`` or a bad number of factors.
    ConvergenceError
        Extraction produced non-finite loadings. (An optimiser or iteration that stops without
        meeting its rule only gives a :class:`~cbeclab.errors.CbecWarning` and ``converged=False``,
        as psych only prints a message.)

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([.8, .7, .6, .5])
    >>> r = np.outer(lam, lam); np.fill_diagonal(r, 1)
    >>> res = efa(corr=r, n_factors=1, fm="ml")
    >>> np.round(res.loadings["ML1"].to_numpy(), 3).tolist()
    [0.8, 0.7, 0.6, 0.5]
    """
    if fm not in _PREFIX:
        raise SpecError(
            _("unknown extraction fm={fm!r}", fm=fm), where="efa(fm=)", fix=_("use 'pa', 'ml' or 'minres'")
        )
    if rotate not in ("varimax", "promax", "none"):
        raise SpecError(
            _("unknown rotation {rotate!r}", rotate=rotate),
            where="efa(rotate=)",
            fix=_("use 'varimax', 'promax' or 'none'"),
        )
    r, names, n = correlation_input(data, corr=corr, n_obs=n_obs, where="efa")
    p = r.shape[0]
    if not (isinstance(n_factors, int | np.integer) and 1 <= n_factors < p):
        raise SpecError(
            _(
                "n_factors must be an integer from 1 to {v1}, got {n_factors!r}",
                v1=p - 1,
                n_factors=n_factors,
            ),
            where="efa(n_factors=)",
            fix=_("see parallel_analysis() for a suggested number of factors"),
        )
    k = int(n_factors)
    e_values, _unused = sym_eigh(r)
    objective: float | None = None
    if fm == "pa":
        load, vals, iters, converged = _fit_pa(r, k, max_iter, min_err)
    else:
        load, vals, iters, converged, objective = _fit_opt(r, k, fm, max_iter)
    if not np.all(np.isfinite(load)):
        raise ConvergenceError(
            _("extraction produced non-finite loadings"),
            where=f"efa(fm='{fm}')",
            fix=_("extract fewer factors or try another fm"),
        )
    if not converged:  # psych only prints a message; we attach a warning and keep the estimate
        warnings.warn(
            CbecWarning(
                _(
                    "efa(fm='{fm}'): the iteration stopped after {n} steps without meeting its convergence "
                    "rule (often a Heywood case: a uniqueness at its 0.005 bound)",
                    fm=fm,
                    n=iters,
                )
                if fm == "pa"
                else _(
                    "efa(fm='{fm}'): the optimiser stopped after {n} steps without meeting its convergence "
                    "rule (often a Heywood case: a uniqueness at its 0.005 bound)",
                    fm=fm,
                    n=iters,
                )
            ),
            stacklevel=2,
        )
    sign = np.sign(load.sum(axis=0))
    sign[sign == 0] = 1
    load = load * sign
    model = load @ load.T
    h2 = np.diag(model).copy()
    labels = [f"{_PREFIX[fm]}{j + 1}" for j in range(k)]
    phi: np.ndarray | None = None
    rot: np.ndarray | None = None
    if k > 1 and rotate == "varimax":
        load, rot = varimax(load)
    elif k > 1 and rotate == "promax":
        load, rot, phi = promax(load)
    sign = np.sign(load.sum(axis=0))
    sign[sign == 0] = 1
    load = load * sign
    if phi is not None:
        phi = phi * np.outer(sign, sign)
    ss = np.diag(phi @ load.T @ load) if phi is not None else (load**2).sum(axis=0)
    if k > 1:
        order = np.argsort(-ss, kind="stable")
        load = load[:, order]
        ss = ss[order]
        labels = [labels[j] for j in order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]
    idx = pd.Index(names, name="item")
    loadings = pd.DataFrame(load, index=idx, columns=labels)
    structure = pd.DataFrame(load @ phi if phi is not None else load, index=idx, columns=labels)
    total = float(p)
    rows = {"SS loadings": ss, "Proportion Var": ss / total}
    if k > 1:
        rows["Cumulative Var"] = np.cumsum(ss / total)
        rows["Proportion Explained"] = ss / ss.sum()
        rows["Cumulative Proportion"] = np.cumsum(ss / ss.sum())
    variance = pd.DataFrame(rows, index=labels).T
    return EFAResult(
        loadings=loadings,
        structure=structure,
        phi=None if phi is None else pd.DataFrame(phi, index=labels, columns=labels),
        communality=pd.Series(h2, index=idx, name="h2"),
        uniqueness=pd.Series(np.diag(r) - h2, index=idx, name="u2"),
        variance=variance,
        e_values=e_values,
        values=vals,
        rotation_matrix=rot,
        n_factors=k,
        fm=fm,
        rotate=rotate if k > 1 else "none",
        n_obs=n,
        iterations=iters,
        converged=converged,
        objective=objective,
    )
