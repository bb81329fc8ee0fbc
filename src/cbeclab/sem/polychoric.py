"""Thresholds, polychoric and polyserial correlations and their asymptotic covariance (NACOV).

The sample statistics of categorical SEM, computed in lavaan's two steps (Olsson 1979; Muthen 1984):

**Step 1, univariate.**  An ordered variable with categories ``1..K`` is a cut normal variable
``y = k  <=>  tau_{k-1} < y* <= tau_k`` (``tau_0 = -inf``, ``tau_K = +inf``, ``y* ~ N(0, 1)``).
The ML thresholds are the normal quantiles of the cumulative proportions,
``tau_k = Phi^-1(P(y <= k))``.  A continuous variable gets its mean and variance (divisor n).

**Step 2, bivariate.**  With the thresholds fixed, the polychoric correlation of two ordered
variables maximises the multinomial log-likelihood of their contingency table

    l(rho) = sum_ab n_ab log pi_ab(rho),
    pi_ab = F(tau_a, s_b) - F(tau_{a-1}, s_b) - F(tau_a, s_{b-1}) + F(tau_{a-1}, s_{b-1}),

``F`` the bivariate standard normal CDF with correlation ``rho``; ``d pi_ab / d rho`` is the same
corner sum of the bivariate normal density.  The polyserial correlation of a continuous ``x``
(standardised ``z``) and an ordered ``y`` maximises
``sum_i log[Phi((tau_b - rho z_i)/R) - Phi((tau_{b-1} - rho z_i)/R)]``, ``R = sqrt(1 - rho^2)``.

**NACOV.**  Stacking the casewise scores of step 1 (``s_1``: thresholds / means, then variances of
the continuous variables) and step 2 (``s_2``: one column per pair), lavaan's ``muthen1984``
builds ``A11`` (block diagonal per variable of ``s_1' s_1``), ``A22 = diag(s_2' s_2)``, ``A21 =
s_2' d l_2 / d step1`` and

    Gamma = n B^-1 (s' s) B^-T,   B^-1 = [[A11^-1, 0], [-A22^-1 A21 A11^-1, A22^-1]],

the sandwich covariance of the two-step estimator (``n`` times, lavaan's ``NACOV`` and
``lavInspect(fit, "gamma")``).  Correlations of continuous pairs (Pearson) and of mixed pairs become
covariances through lavaan's Jacobian ``H``; entries of continuous means enter negated (lavaan keeps
``-mean`` among the thresholds).

The bivariate normal CDF is Genz's (2004) algorithm, vectorised over all cells of all tables of the
same shape, so a 30-item, 600-row survey takes a fraction of a second.

Checked against: lavaan 0.6-14 ``lavInspect(fit, "sampstat")``, ``lavInspect(fit, "gamma")`` and
``lavCor`` (fixtures ``tests/fixtures/sem_ord_*.json`` made by ``tests/fixtures/r/sem_ordinal.R``),
in ``tests/test_sem_ordinal.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _
from cbeclab.sem import dist as stats
from cbeclab.sem.ml import Array

__all__ = [
    "MAX_CATEGORIES",
    "OrdinalStats",
    "bvn_cdf",
    "ordinal_codes",
    "ordinal_stats",
    "polychoric",
    "thresholds",
]

#: more distinct values than this and a column is refused as ordered (lavaan's limit is higher, but
#: a Likert item has at most 11 points; more are almost surely a continuous column)
MAX_CATEGORIES = 20

_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)
_SQ2PI = math.sqrt(2.0 * math.pi)
_BIG = 40.0  # stands for an infinite threshold (Phi(40) == 1 in double precision)


def _phi(x: Array) -> Array:
    return np.exp(-0.5 * x * x) / _SQ2PI


def _Phi(x: Array) -> Array:
    return special.ndtr(x)


def bvn_cdf(h: Array, k: Array, r: Array) -> Array:
    """P(X <= h, Y <= k) of the standard bivariate normal with correlation ``r`` (broadcast).

    Genz (2004), "Numerical computation of rectangular bivariate and trivariate normal and t
    probabilities", Statistics and Computing 14: Gauss-Legendre quadrature of the Plackett / Owen
    integral in ``asin(r)`` for ``|r| < 0.925``, Drezner-Wesolowsky's expansion for larger ``|r|``;
    20 nodes everywhere (double-precision accuracy).  Checked against
    ``scipy.stats.multivariate_normal.cdf`` in the tests.
    """
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(r, float))
    h, k, r = -h.ravel(), -k.ravel(), r.ravel()  # Genz's bvnu: upper tail of (-h, -k)
    out = np.empty_like(h)
    lo = np.abs(r) < 0.925
    if lo.any():
        hl, kl, rl = h[lo], k[lo], r[lo]
        hk, hs = hl * kl, (hl * hl + kl * kl) / 2.0
        asr = np.arcsin(rl)
        sn = np.sin(asr[:, None] * (1.0 + _GL_X[None, :]) / 2.0)
        val = (_GL_W[None, :] * np.exp((sn * hk[:, None] - hs[:, None]) / (1.0 - sn * sn))).sum(axis=1)
        out[lo] = val * asr / (4.0 * math.pi) + _Phi(-hl) * _Phi(-kl)
    hi = ~lo
    if hi.any():
        hh, kk, rr = h[hi], k[hi].copy(), r[hi]
        neg = rr < 0
        kk[neg] = -kk[neg]
        hk = hh * kk
        bvn = np.zeros_like(hh)
        inner = np.abs(rr) < 1
        as_ = (1.0 - rr) * (1.0 + rr)
        a = np.sqrt(np.where(inner, as_, 1.0))
        bs = (hh - kk) ** 2
        c = (4.0 - hk) / 8.0
        d = (12.0 - hk) / 16.0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            asr = -(bs / np.where(inner, as_, 1.0) + hk) / 2.0
            t1 = a * np.exp(asr) * (1 - c * (bs - as_) * (1 - d * bs / 5) / 3 + c * d * as_ * as_ / 5)
            bvn = np.where(inner & (asr > -100), t1, 0.0)
            b = np.sqrt(bs)
            sp = _SQ2PI * _Phi(-b / a)
            t2 = np.exp(-hk / 2) * sp * b * (1 - c * bs * (1 - d * bs / 5) / 3)
            bvn = bvn - np.where(inner & (hk > -100), t2, 0.0)
            a2 = a / 2.0
            xs = (a2[:, None] * (_GL_X[None, :] + 1.0)) ** 2
            rs = np.sqrt(1.0 - xs)
            asr2 = -(bs[:, None] / xs + hk[:, None]) / 2.0
            sp2 = 1.0 + c[:, None] * xs * (1.0 + d[:, None] * xs)
            ep = np.exp(-hk[:, None] * (1.0 - rs) / (2.0 * (1.0 + rs))) / rs
            term = np.where(asr2 > -100, a2[:, None] * _GL_W[None, :] * np.exp(asr2) * (ep - sp2), 0.0)
            bvn = np.where(inner, bvn + term.sum(axis=1), bvn)
        bvn = -bvn / (2.0 * math.pi)
        pos = rr > 0
        res = np.where(pos, bvn + _Phi(-np.maximum(hh, kk)), 0.0)
        L = np.where(hh < 0, _Phi(kk) - _Phi(hh), _Phi(-hh) - _Phi(-kk))
        res = np.where(~pos & (hh >= kk), -bvn, res)
        res = np.where(~pos & (hh < kk), L - bvn, res)
        out[hi] = res
    return np.clip(out, 0.0, 1.0)


def _bvn_pdf(h: Array, k: Array, r: Array) -> Array:
    R2 = 1.0 - r * r
    return np.exp(-(h * h - 2 * r * h * k + k * k) / (2 * R2)) / (2 * math.pi * np.sqrt(R2))


def ordinal_codes(values: pd.Series, name: str) -> tuple[Array, tuple[float, ...]]:
    """Codes ``1..K`` of an ordered column (NaN kept) and its levels (sorted distinct values).

    Raises :class:`DataError` for non-integer values, a single category or more than
    :data:`MAX_CATEGORIES` categories.
    """
    x = pd.to_numeric(values, errors="coerce")
    bad = values[x.isna() & values.notna()]
    if len(bad):
        raise DataError(
            _("ordered column {c!r} has a non-numeric value {v!r}", c=name, v=bad.iloc[0]),
            where=_("column {c}, row {r}", c=name, r=bad.index[0]),
            fix=_("code the answer categories as integers 1, 2, 3, ..."),
        )
    v = x.to_numpy(dtype=float)
    fin = np.isfinite(v)
    frac = fin & (np.abs(v - np.round(v)) > 1e-9)
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        raise DataError(
            _("ordered column {c!r} has a non-integer value {v}", c=name, v=v[i]),
            where=_("column {c}, row {r}", c=name, r=values.index[i]),
            fix=_(
                "ordered items must be integer category codes; drop the column from --ordered to treat it as continuous"
            ),
        )
    levels = np.unique(v[fin])
    if len(levels) > MAX_CATEGORIES:
        raise DataError(
            _(
                "ordered column {c!r} has {k} distinct values (at most {m} allowed)",
                c=name,
                k=len(levels),
                m=MAX_CATEGORIES,
            ),
            where=_("column {c}", c=name),
            fix=_(
                "treat the column as continuous (leave it out of --ordered) or recode it into fewer categories"
            ),
        )
    if len(levels) < 2:
        raise DataError(
            _("ordered column {c!r} has only one observed category", c=name),
            where=_("column {c}", c=name),
            fix=_("drop the constant item from the model"),
        )
    codes = np.full(len(v), np.nan)
    codes[fin] = np.searchsorted(levels, v[fin]) + 1
    return codes, tuple(float(x) for x in levels)


def thresholds(codes: Array, n_cat: int) -> Array:
    """ML thresholds ``Phi^-1`` of the cumulative proportions of codes ``1..n_cat``."""
    freq = np.bincount(codes.astype(int) - 1, minlength=n_cat)[:n_cat]
    return np.asarray(stats.norm.ppf(np.cumsum(freq)[:-1] / freq.sum()), float)


def _ext(tau: Array) -> Array:
    return np.concatenate([[-_BIG], tau, [_BIG]])


def _cell_probs(t1: Array, t2: Array, rho: Array) -> tuple[Array, Array]:
    """Cell probabilities and their rho-derivatives of tables with thresholds ``t1`` (P x K1-1),
    ``t2`` (P x K2-1) and correlations ``rho`` (P): arrays P x K1 x K2."""
    P = len(rho)
    e1 = np.concatenate([np.full((P, 1), -_BIG), t1, np.full((P, 1), _BIG)], axis=1)
    e2 = np.concatenate([np.full((P, 1), -_BIG), t2, np.full((P, 1), _BIG)], axis=1)
    H = np.broadcast_to(e1[:, :, None], (P, e1.shape[1], e2.shape[1]))
    K = np.broadcast_to(e2[:, None, :], H.shape)
    R = np.broadcast_to(rho[:, None, None], H.shape)
    F = bvn_cdf(H, K, R).reshape(H.shape)
    f = _bvn_pdf(H, K, R)
    pi = F[:, 1:, 1:] - F[:, :-1, 1:] - F[:, 1:, :-1] + F[:, :-1, :-1]
    dpi = f[:, 1:, 1:] - f[:, :-1, 1:] - f[:, 1:, :-1] + f[:, :-1, :-1]
    return np.maximum(pi, math.sqrt(np.finfo(float).eps)), dpi


def polychoric(tables: Array, t1: Array, t2: Array, start: Array | None = None) -> tuple[Array, Array]:
    """ML polychoric correlations of P tables (P x K1 x K2 counts) with fixed thresholds.

    Fisher scoring on ``rho`` (vectorised over the tables), steps halved when the likelihood would
    fall, ``rho`` kept in [-0.999, 0.999] (lavaan's bounds).  Returns ``rho`` and the log-likelihoods.
    """
    P = tables.shape[0]
    n = tables.sum(axis=(1, 2))
    rho = np.zeros(P) if start is None else np.clip(np.asarray(start, float), -0.99, 0.99)

    def ll(r: Array) -> Array:
        pi, _d = _cell_probs(t1, t2, r)
        return np.asarray((tables * np.log(pi)).sum(axis=(1, 2)))

    cur = ll(rho)
    active = np.ones(P, dtype=bool)
    for _it in range(100):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        pi, dpi = _cell_probs(t1[idx], t2[idx], rho[idx])
        g = (tables[idx] * dpi / pi).sum(axis=(1, 2))
        info = n[idx] * (dpi * dpi / pi).sum(axis=(1, 2))
        step = g / np.maximum(info, 1e-300)
        alpha = np.ones(len(idx))
        new = np.clip(rho[idx] + step, -0.999, 0.999)
        for _h in range(30):
            val = ll_sub(tables[idx], t1[idx], t2[idx], new)
            worse = val < cur[idx] - 1e-12 * (1 + np.abs(cur[idx]))
            if not worse.any():
                break
            alpha[worse] /= 2
            new[worse] = np.clip(rho[idx][worse] + alpha[worse] * step[worse], -0.999, 0.999)
        done = np.abs(new - rho[idx]) < 1e-12
        rho[idx] = new
        cur[idx] = val
        active[idx[done]] = False
    return rho, cur


def ll_sub(tables: Array, t1: Array, t2: Array, r: Array) -> Array:
    pi, _d = _cell_probs(t1, t2, r)
    return np.asarray((tables * np.log(pi)).sum(axis=(1, 2)))


def _polyserial(z: Array, codes: Array, tau: Array, sd: float) -> tuple[float, Array, Array, Array, Array]:
    """Two-step ML polyserial correlation of standardised ``z`` and ordered ``codes`` (thresholds
    ``tau``); returns rho and the casewise scores d l/d (rho, mean, var, tau) at rho (lavaan
    ``lav_bvmix_cor_scores``)."""
    e = _ext(tau)
    ci = codes.astype(int)
    up, lo_ = e[ci], e[ci - 1]

    def parts(r: float) -> tuple[Array, Array, Array, Array, float]:
        R = math.sqrt(1.0 - r * r)
        a, b = (up - r * z) / R, (lo_ - r * z) / R
        p = np.maximum(_Phi(a) - _Phi(b), np.finfo(float).eps)
        return a, b, p, np.asarray(_phi(a) - _phi(b)), R

    def negll(r: float) -> float:
        return -float(np.log(parts(r)[2]).sum())

    from scipy.optimize import minimize_scalar

    res = minimize_scalar(negll, bounds=(-0.995, 0.995), method="bounded", options={"xatol": 1e-12})
    r = float(res.x)
    a, b, p, _dd, R = parts(r)
    ya, yb = _phi(a), _phi(b)
    ta = ya * (up * r - z)
    tb = yb * (lo_ * r - z)
    d_rho = (ta - tb) / (R**3 * p)
    d_mu = (z + (r / R) * (ya - yb) / p) / sd
    d_var = ((z * z - 1.0) + (r * z / R) * (ya - yb) / p) / (2.0 * sd * sd)
    K = len(tau)
    Y1 = (ci[:, None] == np.arange(1, K + 1)[None, :]).astype(float)
    Y2 = (ci[:, None] - 1 == np.arange(1, K + 1)[None, :]).astype(float)
    d_th = (Y1 * ya[:, None] - Y2 * yb[:, None]) / (R * p[:, None])
    return r, d_rho, d_mu, d_var, d_th


@dataclass(frozen=True)
class OrdinalStats:
    """Sample statistics of a categorical fit (lavaan ``sampstat`` and ``NACOV``).

    Attributes
    ----------
    names
        Variables in model order; ``ordered`` flags which are ordered.
    th, th_names, th_var
        Thresholds (``-mean`` for a continuous variable, as lavaan), their names ``x|t1`` (the
        continuous variable's own name) and the variable index of each.
    var
        Variances (1 for ordered variables).
    cor
        Polychoric / polyserial / Pearson correlation matrix.
    wls_obs
        lavaan's ``wls.obs``: thresholds, variances of the continuous variables, then the
        correlations (covariances for continuous pairs) below the diagonal, column by column.
    nacov
        Asymptotic covariance of ``wls_obs`` times n (lavaan ``gamma``).
    n
        Rows used.  ``levels`` the category values of each ordered variable.
    empty_cells
        Pairs whose contingency table has an empty cell (lavaan's ``zero.cell.tables``).
    """

    names: tuple[str, ...]
    ordered: tuple[bool, ...]
    th: Array
    th_names: tuple[str, ...]
    th_var: Array
    var: Array
    cor: Array
    wls_obs: Array
    nacov: Array
    n: int
    levels: dict[str, tuple[float, ...]] = field(default_factory=dict)
    empty_cells: tuple[tuple[str, str], ...] = ()

    @property
    def n_th(self) -> int:
        return len(self.th)

    @property
    def cov(self) -> Array:
        sd = np.sqrt(self.var)
        return np.asarray(self.cor * np.outer(sd, sd))


def ordinal_stats(
    data: pd.DataFrame, names: Sequence[str], ordered: Sequence[str], missing: str = "listwise"
) -> OrdinalStats:
    """Thresholds, correlations and NACOV of ``data[names]``.

    ``ordered`` lists the ordered variables; the others are continuous.  Levels are taken from the
    column before listwise deletion; a category that no used row has is an error (as lavaan).
    ``missing="listwise"`` (lavaan's default for categorical data) uses the complete rows;
    ``"pairwise"`` (ordered variables only) every row with an answer: thresholds from each item's
    answers, each polychoric from the rows answering both items, and the scores of a missing answer
    set to 0 in the NACOV sums (lavaan ``missing = "pairwise"``).
    """
    pairwise = missing == "pairwise"
    names = list(names)
    is_ord = [v in set(ordered) for v in names]
    if pairwise and not all(is_ord):
        raise SpecError(
            _("missing='pairwise' is built for models whose variables are all ordered"),
            where="missing",
            fix=_("use missing='listwise' (the default), or list every model variable in ordered"),
        )
    p = len(names)
    cols: list[Array] = []
    levels: dict[str, tuple[float, ...]] = {}
    for v, o in zip(names, is_ord, strict=True):
        if o:
            c, lev = ordinal_codes(data[v], v)
            cols.append(c)
            levels[v] = lev
        else:
            cols.append(pd.to_numeric(data[v], errors="coerce").to_numpy(dtype=float))
    X = np.column_stack(cols)
    keep = np.isfinite(X).any(axis=1) if pairwise else np.isfinite(X).all(axis=1)
    X = X[keep]
    OBS = np.isfinite(X)
    n = X.shape[0]
    if n < 2:
        raise DataError(
            _("only {n} usable rows remain", n=n),
            where="data",
            fix=_("check the columns used by the model for missing values"),
        )
    # ---- step 1
    th_list: list[Array] = []
    nK: list[int] = []
    sc_th: list[Array] = []
    mean = np.zeros(p)
    var = np.ones(p)
    for j in range(p):
        if is_ord[j]:
            K = len(levels[names[j]])
            oj = OBS[:, j]
            xj = X[oj, j]
            cnt = np.bincount(xj.astype(int) - 1, minlength=K)
            if (cnt == 0).any():
                k0 = int(np.flatnonzero(cnt == 0)[0])
                raise DataError(
                    _(
                        "category {v} of ordered item {c!r} is empty in the rows used (frequencies {f})",
                        v=levels[names[j]][k0],
                        c=names[j],
                        f=" ".join(str(int(x)) for x in cnt),
                    ),
                    where=_("column {c}", c=names[j]),
                    fix=_(
                        "merge the empty category with a neighbouring one (recode the item), or check why those rows were dropped"
                    ),
                )
            tau = thresholds(xj, K)
            th_list.append(tau)
            nK.append(K)
            e = _ext(tau)
            ci = xj.astype(int)
            pr = _Phi(e[ci]) - _Phi(e[ci - 1])
            Y1 = ci[:, None] == np.arange(1, K)[None, :]
            Y2 = ci[:, None] - 1 == np.arange(1, K)[None, :]
            sc = np.zeros((n, K - 1))  # a missing answer scores 0 (lavaan's NA-skipping sums)
            sc[oj] = (Y1 * _phi(e[ci])[:, None] - Y2 * _phi(e[ci - 1])[:, None]) / pr[:, None]
            sc_th.append(sc)
        else:
            m = X[:, j].mean()
            v = X[:, j].var()
            mean[j], var[j] = m, v
            th_list.append(np.array([m]))
            nK.append(0)
            sc_th.append(((X[:, j] - m) / v)[:, None])
    nth = [len(t) for t in th_list]
    th_end = np.cumsum(nth)
    th_start = th_end - np.asarray(nth)
    num_idx = [j for j in range(p) if not is_ord[j]]
    SC_TH = np.concatenate(sc_th, axis=1)
    SC_VAR = np.column_stack(
        [-1.0 / (2 * var[j]) + (X[:, j] - mean[j]) ** 2 / (2 * var[j] ** 2) for j in num_idx]
    ) if num_idx else np.zeros((n, 0))  # fmt: skip
    a11 = SC_TH.shape[1] + SC_VAR.shape[1]
    # ---- step 2
    pstar = p * (p - 1) // 2
    pairs = [(i, j) for j in range(p - 1) for i in range(j + 1, p)]  # lavaan's vech order
    COR = np.eye(p)
    SC_COR = np.zeros((n, pstar))
    A21 = np.zeros((pstar, a11))
    H21 = np.zeros((pstar, a11))
    H22 = np.eye(pstar)
    empty: list[tuple[str, str]] = []
    var_col = {j: SC_TH.shape[1] + k for k, j in enumerate(num_idx)}
    # ordered-ordered pairs, grouped by table shape and solved together
    oo = [(k, i, j) for k, (i, j) in enumerate(pairs) if is_ord[i] and is_ord[j]]
    groups: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for k, i, j in oo:
        groups.setdefault((nK[j], nK[i]), []).append((k, i, j))
    for (K1, K2), members in groups.items():
        ks = np.array([m[0] for m in members])
        ii = np.array([m[1] for m in members])
        jj = np.array([m[2] for m in members])
        both = OBS[:, jj] & OBS[:, ii]
        c1 = np.where(both, X[:, jj], 1.0).astype(int) - 1  # y1 = variable j (lavaan: fit.y1 = UNI[[j]])
        c2 = np.where(both, X[:, ii], 1.0).astype(int) - 1
        P = len(members)
        tabs = np.zeros((P, K1, K2))
        for q in range(P):
            np.add.at(tabs[q], (c1[both[:, q], q], c2[both[:, q], q]), 1.0)
        for q in np.flatnonzero((tabs == 0).any(axis=(1, 2))).tolist():
            empty.append((names[int(jj[q])], names[int(ii[q])]))
        t1 = np.stack([th_list[int(j)] for j in jj])
        t2 = np.stack([th_list[int(i)] for i in ii])
        start = np.array(
            [
                np.corrcoef(X[both[:, q], int(a)], X[both[:, q], int(b)])[0, 1]
                for q, (a, b) in enumerate(zip(jj, ii, strict=True))
            ]
        )
        start = np.where(np.isfinite(start), start, 0.0)
        rho, _ll = polychoric(tabs, t1, t2, start)
        COR[ii, jj] = COR[jj, ii] = rho
        pi, dpi = _cell_probs(t1, t2, rho)
        sc_cell = dpi / pi  # d log pi_ab / d rho
        # derivatives of log pi_ab with respect to the thresholds of y1 and y2 (lavaan dx.th.y1/2)
        e1 = np.concatenate([np.full((P, 1), -_BIG), t1, np.full((P, 1), _BIG)], axis=1)
        e2 = np.concatenate([np.full((P, 1), -_BIG), t2, np.full((P, 1), _BIG)], axis=1)
        R = np.sqrt(1 - rho * rho)[:, None, None]
        r3 = rho[:, None, None]
        # y1: for each row-boundary value e1[a] and column cell b: phi(e1a)[Phi((e2[b]-r e1a)/R) - Phi((e2[b-1]-r e1a)/R)]
        g1 = _phi(e1)[:, :, None] * (
            _Phi((e2[:, None, 1:] - r3 * e1[:, :, None]) / R)
            - _Phi((e2[:, None, :-1] - r3 * e1[:, :, None]) / R)
        )  # P x (K1+1) x K2
        g2 = _phi(e2)[:, :, None] * (
            _Phi((e1[:, None, 1:] - r3 * e2[:, :, None]) / R)
            - _Phi((e1[:, None, :-1] - r3 * e2[:, :, None]) / R)
        )  # P x (K2+1) x K1
        for q in range(P):
            k, i, j = int(ks[q]), int(ii[q]), int(jj[q])
            rows = np.flatnonzero(both[:, q])
            a_, b_ = c1[rows, q], c2[rows, q]
            lik = pi[q, a_, b_]
            SC_COR[rows, k] = sc_cell[q, a_, b_]
            # d log pi / d tau1_t: +g1[upper]/lik if t == a (upper boundary index a+1), -g1[lower] if t == a-1
            d1 = np.zeros((len(rows), K1 - 1))
            d2 = np.zeros((len(rows), K2 - 1))
            up1, lo1 = a_, a_ - 1  # threshold indices (0-based) of the upper / lower boundary
            m_up = up1 < K1 - 1
            d1[np.flatnonzero(m_up), up1[m_up]] += g1[q, a_[m_up] + 1, b_[m_up]] / lik[m_up]
            m_lo = lo1 >= 0
            d1[np.flatnonzero(m_lo), lo1[m_lo]] -= g1[q, a_[m_lo], b_[m_lo]] / lik[m_lo]
            up2, lo2 = b_, b_ - 1
            m_up = up2 < K2 - 1
            d2[np.flatnonzero(m_up), up2[m_up]] += g2[q, b_[m_up] + 1, a_[m_up]] / lik[m_up]
            m_lo = lo2 >= 0
            d2[np.flatnonzero(m_lo), lo2[m_lo]] -= g2[q, b_[m_lo], a_[m_lo]] / lik[m_lo]
            s = SC_COR[rows, k]
            A21[k, th_start[j] : th_end[j]] = s @ d1
            A21[k, th_start[i] : th_end[i]] = s @ d2
    # mixed and continuous pairs
    for k, (i, j) in enumerate(pairs):
        if is_ord[i] and is_ord[j]:
            continue
        if not is_ord[i] and not is_ord[j]:
            xi = (X[:, i] - mean[i]) / math.sqrt(var[i])
            xj = (X[:, j] - mean[j]) / math.sqrt(var[j])
            r = float(np.mean(xi * xj))
            COR[i, j] = COR[j, i] = r
            # bivariate normal score of rho with standardised margins (lavaan lav_bvreg_cor_scores)
            R2 = 1 - r * r
            s = (xi * xj * (1 + r * r) - r * (xi * xi + xj * xj) + r * R2) / (R2 * R2)
            SC_COR[:, k] = s
            # d l / d mean and var of each margin
            for a, za, zb in ((i, xi, xj), (j, xj, xi)):
                sda = math.sqrt(var[a])
                dmu = (za - r * zb) / (R2 * sda)
                dvar = (za * (za - r * zb) / R2 - 1.0) / (2 * var[a])
                A21[k, th_start[a]] = s @ dmu
                A21[k, var_col[a]] = s @ dvar
            H21[k, var_col[i]] = math.sqrt(var[j]) * r / (2 * math.sqrt(var[i]))
            H21[k, var_col[j]] = math.sqrt(var[i]) * r / (2 * math.sqrt(var[j]))
            H22[k, k] = math.sqrt(var[i] * var[j])
            continue
        cv, ov_ = (i, j) if not is_ord[i] else (j, i)
        sd = math.sqrt(var[cv])
        z = (X[:, cv] - mean[cv]) / sd
        r, d_rho, d_mu, d_var, d_th = _polyserial(z, X[:, ov_], th_list[ov_], sd)
        COR[i, j] = COR[j, i] = r
        SC_COR[:, k] = d_rho
        A21[k, th_start[cv]] = d_rho @ d_mu
        A21[k, th_start[ov_] : th_end[ov_]] = d_rho @ d_th
        A21[k, var_col[cv]] = d_rho @ d_var
        H21[k, var_col[cv]] = r / (2 * sd)
        H22[k, k] = sd
    SC = np.concatenate([SC_TH, SC_VAR, SC_COR], axis=1)
    INNER = SC.T @ SC
    A11 = np.zeros((a11, a11))
    for j in range(p):
        idx = list(range(th_start[j], th_end[j]))
        if not is_ord[j]:
            idx.append(var_col[j])
        A11[np.ix_(idx, idx)] = INNER[np.ix_(idx, idx)]
    A22d = np.sum(SC_COR * SC_COR, axis=0)
    A11i = np.linalg.inv(A11)
    A22i = np.diag(1.0 / A22d)
    Binv = np.block([[A11i, np.zeros((a11, pstar))], [-A22i @ A21 @ A11i, A22i]])
    W = Binv @ INNER @ Binv.T
    if num_idx:
        Hm = np.block([[np.eye(a11), np.zeros((a11, pstar))], [H21, H22]])
        W = Hm @ W @ Hm.T
    th = np.concatenate(th_list)
    for j in num_idx:  # lavaan keeps -mean among the thresholds
        th[th_start[j]] = -th[th_start[j]]
        W[th_start[j], :] *= -1
        W[:, th_start[j]] *= -1
    th_names: list[str] = []
    th_var: list[int] = []
    for j in range(p):
        if is_ord[j]:
            th_names += [f"{names[j]}|t{t + 1}" for t in range(nth[j])]
        else:
            th_names.append(names[j])
        th_var += [j] * nth[j]
    sd_all = np.sqrt(var)
    cov_low = np.array([COR[i, j] * sd_all[i] * sd_all[j] for i, j in pairs])
    wls_obs = np.concatenate([th, var[num_idx], cov_low])
    return OrdinalStats(
        names=tuple(names),
        ordered=tuple(is_ord),
        th=th,
        th_names=tuple(th_names),
        th_var=np.asarray(th_var, dtype=np.intp),
        var=var,
        cor=COR,
        wls_obs=wls_obs,
        nacov=n * W,
        n=n,
        levels=levels,
        empty_cells=tuple(empty),
    )
