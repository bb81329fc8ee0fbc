"""Batched ML refits: many resampled covariance matrices solved together (the bootstrap kernel).

A bootstrap refits one model to thousands of resampled covariance matrices ``S_b``, each starting
from the full-sample estimate ``θ̂``.  Done one draw at a time, every Newton step of a
24-indicator model spends most of its time building the ``q × q`` information (about 10⁶
multiply-adds) and in the Python overhead of ~30 small numpy calls.  Here all draws of a block are
stacked and iterated together:

* ``A_b, S_b`` → ``B_b = (I − A_b)⁻¹`` (the nilpotent series for recursive models), ``T_b``,
  ``Σ_b = T_b S_b T_b'``, Cholesky and ``Σ_b⁻¹`` on ``(k, p, p)`` stacks;
* the gradient of ``F_ML = log|Σ| + tr(S Σ⁻¹) − log|S| − p`` through two small products per draw:
  with ``W = Σ⁻¹(Σ − S)Σ⁻¹`` and ``G = B S T'``, ``∂F/∂A[i,j] = 2 (T'W G')[i,j]`` and
  ``∂F/∂S[i,j] = 2 c (T'W T)[i,j]`` (``c = ½`` on the diagonal), which is ``2 u'W v`` of
  :mod:`cbeclab.sem.ml` written as matrices;
* quasi-Newton steps ``θ ← θ − H_b g_b``: ``H_b`` starts at the inverse of the Hessian of the
  full-sample fit (one matrix shared by the block) and is refined by a BFGS update per draw
  (Nocedal & Wright 2006, eq. 6.17), so no per-draw information matrix is ever built;
* a step is accepted where ``F`` does not increase, otherwise halved (per draw);
* a draw stops when its largest step component falls below ``tol · (1 + max|θ̂|)`` (the criterion
  of :meth:`cbeclab.sem.ml.CompiledModel.fit_cov`).

Draws that do not converge here (a non-positive-definite ``Σ`` on every halving, the iteration
cap) are handed back to the exact one-draw Newton fit of ``fit_cov``, so the batch never loses a
draw that the one-at-a-time path would have fitted.  The minimiser is the same; only the path to it
differs, so estimates agree with ``fit_cov`` to the refit tolerance (about 1e-6 relative), far
below the Monte-Carlo error of any bootstrap SE or CI endpoint.

Checked against: :meth:`cbeclab.sem.ml.CompiledModel.gradient` (analytic, 1e-10) and ``fit_cov``
draw by draw (``tests/test_bootstrap_batch.py``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cbeclab.sem.ml import Array, CompiledModel

__all__ = ["BatchKernel", "fit_many"]


class BatchKernel:
    """Index arrays of a :class:`~cbeclab.sem.ml.CompiledModel` for stacked evaluation."""

    def __init__(self, cm: CompiledModel) -> None:
        self.cm = cm
        q = cm.q
        ent_t = np.concatenate([cm.a_t, cm.s_t])
        self.n_a = len(cm.a_t)
        # entries -> theta: columns summed over shared labels
        self.J = np.zeros((len(ent_t), q))
        self.J[np.arange(len(ent_t)), ent_t] = 1.0
        self.identity = bool(len(ent_t) == q and np.all(np.sort(ent_t) == np.arange(q)))
        self.s_scale = np.where(cm.s_r == cm.s_c, 1.0, 2.0)  # 2 c, c = 1/2 on the diagonal
        used = (np.abs(cm.A0).sum(axis=0) > 0) | np.isin(np.arange(cm.m), cm.a_c)
        self.cols = np.flatnonzero(used)
        # Woodbury form of Σ⁻¹ when Σ = D + U M U' (see _woodbury)
        obs = np.arange(cm.m) < cm.p
        s_obs_offdiag = np.any((cm.s_r != cm.s_c) & (obs[cm.s_r] | obs[cm.s_c]))
        fixed_s = np.argwhere(cm.S0 != 0)
        s0_offdiag = np.any((fixed_s[:, 0] != fixed_s[:, 1]) & (obs[fixed_s[:, 0]] | obs[fixed_s[:, 1]]))
        self.woodbury = bool(
            self.cols.size > 0
            and not np.any(self.cols < cm.p)
            and len(cm.exo_r) == 0
            and not s_obs_offdiag
            and not s0_offdiag
        )
        # flat gather indices into Z'Σ⁻¹Z (2m x 2m) for the blocks u'u, v'v, v'u of the Hessian
        w = 2 * cm.m
        u, v, vs = cm.u_idx, cm.v_idx, cm.v_scale
        self.E = len(u)
        self.g_uu = (u[:, None] * w + u[None, :]).ravel()
        self.g_vv = (v[:, None] * w + v[None, :]).ravel()
        self.g_vu = (v[:, None] * w + u[None, :]).ravel()
        self.s_vv = vs[:, None] * vs[None, :]
        self.s_vu = np.broadcast_to(vs[:, None], (self.E, self.E)).copy()

    # ------------------------------------------------------------------ stacked model
    def ram(self, th: Array, covs: Array) -> tuple[Array, Array]:
        cm = self.cm
        k, M = th.shape[0], cm.m
        A = np.broadcast_to(cm.A0, (k, M, M)).copy()
        A[:, cm.a_r, cm.a_c] = th[:, cm.a_t]
        S = np.broadcast_to(cm.S0, (k, M, M)).copy()
        S[:, cm.s_r, cm.s_c] = th[:, cm.s_t]
        S[:, cm.s_c, cm.s_r] = th[:, cm.s_t]
        if len(cm.exo_r):  # fixed.x: each draw's covariate block from its own covariance
            S[:, cm.exo_r, cm.exo_c] = covs[:, cm.exo_r, cm.exo_c]
            S[:, cm.exo_c, cm.exo_r] = covs[:, cm.exo_r, cm.exo_c]
        return A, S

    def inverse(self, A: Array) -> Array:
        """``(I − A)⁻¹`` per draw through the columns ``C`` of ``A`` that can be non-zero:
        ``A^j = A[:, C] A[C, C]^(j−1) I[C, :]``, so ``B = I + A[:, C] (I − A[C, C])⁻¹ I[C, :]``
        (a ``|C| × |C|`` inverse, |C| = the variables with outgoing paths, usually the latents)."""
        cm = self.cm
        C = self.cols
        k = A.shape[0]
        B = np.broadcast_to(cm.I_m, A.shape).copy()
        if C.size == 0:
            return B
        Ac = A[:, :, C]
        Icc = np.eye(C.size)
        if cm.depth is not None:  # nilpotent: I + A_CC + ... + A_CC^depth
            Bcc = np.broadcast_to(Icc, (k, C.size, C.size))
            for _ in range(cm.depth):
                Bcc = Icc + Ac[:, C, :] @ Bcc
        else:
            Bcc = _inv_stack(Icc - Ac[:, C, :])
        B[:, :, C] += Ac @ Bcc
        return B

    def _woodbury(self, T: Array, S: Array, covs: Array, ld_s: Array, F: Array, Si: Array) -> Array:
        """Σ⁻¹ and F through the Woodbury identity; returns the draws left to the dense path.

        For models whose observed variables have no outgoing paths and only (residual) variances
        (``Σ = D + U M U'``, ``D`` diagonal, ``U = T[:, C]``, ``M = S[C, C]``):
        ``Σ⁻¹ = D⁻¹ − D⁻¹U M (I + K M)⁻¹ U'D⁻¹`` with ``K = U'D⁻¹U``, and, writing ``K = R R'``,
        ``log|Σ| = Σ log d + log|I + R'M R|``; Σ is positive definite exactly when ``I + R'MR`` is
        (for ``D > 0`` and ``U`` of full column rank; other draws go to the dense path).
        """
        cm = self.cm
        p, C = cm.p, self.cols
        D = np.diagonal(S[:, :p, :p], axis1=1, axis2=2)
        ok = np.all(D > 0, axis=1)
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return ~ok
        Di = 1.0 / D[idx]
        U = T[idx][:, :, C]
        M = S[idx][:, C][:, :, C]
        DU = Di[:, :, None] * U
        K = U.transpose(0, 2, 1) @ DU
        R, r_ok = _chol_stack(K)
        Ic = np.eye(C.size)
        N = Ic + R.transpose(0, 2, 1) @ M @ R
        Ln, n_ok = _chol_stack(N)
        good = r_ok & n_ok
        j = idx[good]
        if j.size:
            DUg = DU[good]
            Q = np.linalg.solve(Ic + K[good] @ M[good], DUg.transpose(0, 2, 1))  # (I + KM)⁻¹ U'D⁻¹
            inv = -(DUg @ (M[good] @ Q))
            dd = np.arange(p)
            inv[:, dd, dd] += Di[good]
            Si[j] = inv
            logdet = np.log(D[j]).sum(axis=1) + 2.0 * np.log(np.diagonal(Ln[good], axis1=1, axis2=2)).sum(axis=1)
            F[j] = logdet + np.einsum("bij,bij->b", covs[j], inv) - ld_s[j] - p
        rest = np.ones(F.size, dtype=bool)
        rest[j] = False
        return rest

    def state(self, th: Array, covs: Array, ld_s: Array) -> dict[str, Array]:
        """F, Σ⁻¹, T, G for every draw; ``F = inf`` where ``I − A`` is singular or Σ is not PD."""
        cm = self.cm
        A, S = self.ram(th, covs)
        k = th.shape[0]
        B = self.inverse(A)
        T = B[:, : cm.p]
        TS = T @ S
        Sigma = TS @ T.transpose(0, 2, 1)
        F = np.full(k, math.inf)
        Si = np.zeros_like(Sigma)
        dense = np.ones(k, dtype=bool)
        if self.woodbury:
            dense = self._woodbury(T, S, covs, ld_s, F, Si)
        if dense.any():
            d = np.flatnonzero(dense)
            L, good = _chol_stack(Sigma[d])
            g = d[good]
            if g.size:
                Si[g] = _inv_stack(Sigma[g])
                logdet = 2.0 * np.log(np.diagonal(L[good], axis1=1, axis2=2)).sum(axis=1)
                F[g] = logdet + np.einsum("bij,bij->b", covs[g], Si[g]) - ld_s[g] - cm.p
        G = B @ TS.transpose(0, 2, 1)  # B S T'
        return {"F": F, "Si": Si, "T": T, "G": G}

    def gradient(self, st: dict[str, Array], covs: Array) -> Array:
        """∂F_ML/∂θ for every draw, shape ``(k, q)``."""
        cm = self.cm
        Si, T, G = st["Si"], st["T"], st["G"]
        W = Si - Si @ covs @ Si
        TW = T.transpose(0, 2, 1) @ W  # (k, m, p)
        gA = 2.0 * (TW @ G.transpose(0, 2, 1))[:, cm.a_r, cm.a_c]
        gS = self.s_scale * (TW @ T)[:, cm.s_r, cm.s_c]
        g = np.concatenate([gA, gS], axis=1)
        if self.identity:
            out = np.empty_like(g)
            out[:, np.concatenate([cm.a_t, cm.s_t])] = g
            return out
        return g @ self.J

    def expected_hessian(self, st: dict[str, Array]) -> Array:
        """Expected Hessian of F_ML per draw, ``(k, q, q)``.

        The Hessian of :meth:`cbeclab.sem.ml.CompiledModel.fit_cov`,
        ``H_ef = 2 [(v_e'Σ⁻¹u_f)(v_f'Σ⁻¹u_e) + (v_e'Σ⁻¹v_f)(u_e'Σ⁻¹u_f)]``, whose derivative vectors
        are all columns of ``Z = [T, G']``: one Gram matrix ``Z'Σ⁻¹Z`` (2m × 2m) per draw and three
        gathers replace the ``2E × 2E`` Gram matrix of the vectors themselves.
        """
        cm = self.cm
        Si, T, G = st["Si"], st["T"], st["G"]
        k = Si.shape[0]
        Z = np.concatenate([T, G.transpose(0, 2, 1)], axis=2)
        K = (Z.transpose(0, 2, 1) @ (Si @ Z)).reshape(k, -1)
        E = self.E
        Muu = K[:, self.g_uu].reshape(k, E, E)
        Mvv = K[:, self.g_vv].reshape(k, E, E) * self.s_vv
        Mvu = K[:, self.g_vu].reshape(k, E, E) * self.s_vu
        H = 2.0 * (Mvu * Mvu.transpose(0, 2, 1) + Mvv * Muu)
        return H if cm._identity_J else cm.J.T @ H @ cm.J


def _chol_stack(X: Array) -> tuple[Array, Array]:
    """Lower Cholesky factors of a stack; ``good`` flags the positive-definite members."""
    try:
        return np.linalg.cholesky(X), np.ones(X.shape[0], dtype=bool)
    except np.linalg.LinAlgError:
        L = np.zeros_like(X)
        good = np.zeros(X.shape[0], dtype=bool)
        for i, x in enumerate(X):
            try:
                L[i] = np.linalg.cholesky(x)
                good[i] = True
            except np.linalg.LinAlgError:
                pass
        return L, good


def _inv_stack(X: Array) -> Array:
    try:
        return np.linalg.inv(X)
    except np.linalg.LinAlgError:
        out = np.full_like(X, np.nan)
        for i, x in enumerate(X):
            try:
                out[i] = np.linalg.inv(x)
            except np.linalg.LinAlgError:
                pass
        return out


def fit_many(
    cm: CompiledModel,
    covs: Array,
    n: int,
    start: Array,
    *,
    tol: float = 1e-6,
    max_iter: int = 100,
    kernel: BatchKernel | None = None,
) -> tuple[Array, Array, Array]:
    """Minimise F_ML for every covariance matrix of ``covs`` (shape ``(k, p, p)``) from ``start``.

    Step 1 uses the inverse expected Hessian at ``start`` (the same for every draw); step 2 the
    draw's own inverse expected Hessian at its first iterate; later steps BFGS updates of it.
    (Measured on the seed-000 model: a shared metric with BFGS needs ~13 steps, a per-draw Hessian
    at the first iterate without updates ~10, with updates ~8; one-draw Newton 4-5 but each of its
    steps builds a Hessian, about five gradients' worth of arithmetic.)

    Parameters
    ----------
    cm
        The compiled model (``covs`` in ``cm.ov_names`` order, divisor-n covariances).
    n
        Sample size (passed on to ``fit_cov`` for draws handed back).
    start
        Warm start shared by all draws (the full-sample estimate).
    tol
        Stop a draw when its largest step component is below ``tol · (1 + max|start|)``, or when a
        full step lowers F by less than ``tol² (1 + |F|)``.
    max_iter
        Iteration cap of the batch (unconverged draws go to ``fit_cov``).
    kernel
        A cached :class:`BatchKernel` of ``cm``.

    Returns
    -------
    theta, converged, n_iter
        Shapes ``(k, q)``, ``(k,)``, ``(k,)``.
    """
    covs = np.asarray(covs, dtype=np.float64)
    k = covs.shape[0]
    q = cm.q
    kern = kernel if kernel is not None else kernel_for(cm)
    theta0 = np.asarray(start, dtype=np.float64)
    out_th = np.full((k, q), np.nan)
    conv = np.zeros(k, dtype=bool)
    nit = np.zeros(k, dtype=np.int64)
    _, ld_all = np.linalg.slogdet(covs)
    scale = tol * (1.0 + float(np.max(np.abs(theta0)))) if q else tol
    # the active set, kept compact
    ids = np.arange(k)
    th = np.broadcast_to(theta0, (k, q)).copy()
    C, ld = covs, ld_all
    st = kern.state(th, C, ld)
    F = st["F"]
    good = np.isfinite(F)
    ids, th, C, ld, F = ids[good], th[good], C[good], ld[good], F[good]
    st = {key: val[good] for key, val in st.items()}
    g = kern.gradient(st, C)
    # step 1: the expected Hessian at the start (covariate block: the block's mean covariance)
    Sbar = covs.mean(axis=0)[None]
    st0 = kern.state(theta0[None], Sbar, np.linalg.slogdet(Sbar)[1])
    H0 = kern.expected_hessian(st0)[0] if np.isfinite(st0["F"][0]) else np.eye(q)
    Hinv: Array = np.broadcast_to(_inv_or_pinv(H0), (ids.size, q, q))
    for it in range(1, max_iter + 1):
        if ids.size == 0:
            break
        nit[ids] = it
        step = -np.einsum("bij,bj->bi", Hinv, g)
        alpha = np.ones(ids.size)
        new_F = np.full(ids.size, math.inf)
        new_th = th.copy()
        new_st = {key: np.empty_like(val) for key, val in st.items()}
        todo = np.arange(ids.size)
        for _h in range(30):
            cand = th[todo] + alpha[todo, None] * step[todo]
            s2 = kern.state(cand, C[todo], ld[todo])
            ok = s2["F"] <= F[todo] + 1e-12 * (1.0 + np.abs(F[todo]))
            pos = todo[ok]
            new_th[pos], new_F[pos] = cand[ok], s2["F"][ok]
            for key, val in s2.items():
                new_st[key][pos] = val[ok]
            todo = todo[~ok]
            if todo.size == 0:
                break
            alpha[todo] *= 0.5
        moved = np.isfinite(new_F)  # no descent at all: the draw goes to fit_cov
        size = np.max(np.abs(alpha[:, None] * step), axis=1) if q else np.zeros(ids.size)
        dF = F - new_F
        s_vec = new_th - th
        th, F = new_th, new_F
        st = new_st
        g_new = kern.gradient(st, C) if moved.all() else _grad_where(kern, st, C, moved, q)
        y = g_new - g
        g = g_new
        if it == 1:
            Hinv = _inv_or_pinv_stack(kern.expected_hessian(st))
        else:
            Hinv = _bfgs(Hinv, s_vec, y)
        done = moved & ((size < scale) | ((alpha == 1.0) & (dF < tol * tol * (1.0 + np.abs(F)))))
        out_th[ids[done]] = th[done]
        conv[ids[done]] = True
        keep = moved & ~done
        if not keep.all():
            ids, th, C, ld, F, g, Hinv = ids[keep], th[keep], C[keep], ld[keep], F[keep], g[keep], Hinv[keep]
            st = {key: val[keep] for key, val in st.items()}
    for i in np.flatnonzero(~conv).tolist():  # the exact one-draw Newton fit
        try:
            t1, ok1, it1 = cm.fit_cov(covs[i], n, start=theta0, tol=tol)
        except Exception:  # noqa: BLE001 - the caller records the failure
            t1, ok1, it1 = np.full(q, np.nan), False, 0
        out_th[i], conv[i], nit[i] = t1, ok1, nit[i] + it1
    return out_th, conv, nit


def _grad_where(kern: BatchKernel, st: dict[str, Array], C: Array, mask: Array, q: int) -> Array:
    g = np.zeros((mask.size, q))
    if mask.any():
        g[mask] = kern.gradient({key: val[mask] for key, val in st.items()}, C[mask])
    return g


def _inv_or_pinv(H: Array) -> Array:
    try:
        return np.asarray(np.linalg.inv(H))
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(H))


def _inv_or_pinv_stack(H: Array) -> Array:
    try:
        return np.asarray(np.linalg.inv(H))
    except np.linalg.LinAlgError:
        return np.stack([_inv_or_pinv(h) for h in H])


def _bfgs(Hinv: Array, s: Array, y: Array) -> Array:
    """BFGS update of stacked inverse Hessians (Nocedal & Wright 2006, eq. 6.17), as one batched
    rank-2 product; skipped where the curvature ``s'y`` is not positive."""
    sy = np.einsum("bi,bi->b", s, y)
    Hy = np.einsum("bij,bj->bi", Hinv, y)
    yHy = np.einsum("bi,bi->b", y, Hy)
    ok = sy > 1e-12 * np.sqrt(np.einsum("bi,bi->b", s, s) * np.einsum("bi,bi->b", y, y))
    r = np.where(ok, 1.0 / np.where(ok, sy, 1.0), 0.0)
    c1 = (sy + yHy) * r * r
    left = np.stack([s, Hy], axis=2)  # (k, q, 2)
    right = np.stack([c1[:, None] * s - r[:, None] * Hy, -r[:, None] * s], axis=1)  # (k, 2, q)
    return Hinv + left @ right


def kernel_for(cm: Any) -> BatchKernel:
    """A :class:`BatchKernel` cached on the compiled model object."""
    kern = getattr(cm, "_batch_kernel", None)
    if kern is None:
        kern = BatchKernel(cm)
        cm._batch_kernel = kern
    return kern
