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

Factor models (paths only out of latent variables, observed residual variances only, no
covariates) use :class:`LowRankKernel` instead, which never forms ``Σ`` or ``Σ⁻¹`` on the iteration
path (``O(p c²)`` per draw and step for ``c`` latent variables); the BFGS approximations are kept as
base matrix plus update pairs (:class:`_InverseBFGS`, the two-loop recursion).

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
            logdet = np.log(D[j]).sum(axis=1) + 2.0 * np.log(np.diagonal(Ln[good], axis1=1, axis2=2)).sum(
                axis=1
            )
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
        # np.take keeps the draws as the slowest axis (``K[:, idx]`` would make them the fastest,
        # and every per-draw solve on H would then copy a strided matrix)
        Muu = np.take(K, self.g_uu, axis=1).reshape(k, E, E)
        Mvv = np.take(K, self.g_vv, axis=1).reshape(k, E, E) * self.s_vv
        Mvu = np.take(K, self.g_vu, axis=1).reshape(k, E, E) * self.s_vu
        H = 2.0 * (Mvu * Mvu.transpose(0, 2, 1) + Mvv * Muu)
        return H if cm._identity_J else cm.J.T @ H @ cm.J


class LowRankKernel:
    """Stacked F, gradient and expected Hessian of factor models in ``O(p c²)`` per draw.

    For the models of :meth:`eligible` (every path starts at a latent variable; observed
    variables have residual variances only; no covariates), with the ``c`` latent variables ``L``,
    ``Λ = A[obs, L]``, ``B_L = (I − A[L, L])⁻¹``, ``U = Λ B_L`` (``= T[:, L]``), ``M = S[L, L]``
    and ``D`` the residual variances:

    * ``Σ = D + U M U'`` and ``Σ⁻¹ = D⁻¹ − P M̃ P'`` with ``P = D⁻¹U``, ``K = U'D⁻¹U = R R'``,
      ``N = I + R'M R = L_N L_N'``, ``X = L_N⁻¹ R'M`` and ``M̃ = M (I + K M)⁻¹ = M − X'X``
      (Woodbury plus the push-through identity); ``log|Σ| = Σ log D + 2 Σ log diag L_N``.
      ``Σ⁻¹`` itself (``p × p``) is never formed on the iteration path;
    * the derivative vectors of :mod:`cbeclab.sem.ml` are columns of ``Z_s = [I_p, U, V]`` with
      ``V = G'[:, L] = U M B_L'`` (the ``T`` column of an observed variable without outgoing
      paths is a unit vector), so the gradient ``2 u'Wv`` (``W = Σ⁻¹ − Σ⁻¹SΣ⁻¹``) only needs
      ``diag W``, ``W [U V]`` and ``[U V]' W [U V]``, and the expected Hessian only ``Z_s'Σ⁻¹Z_s``
      (``(p + 2c)²`` instead of ``(2m)²``).  The only ``p × p`` products left per step are
      ``S P`` and ``S D⁻¹V`` (``p × p × c``), against four ``p × p × m`` ones of
      :class:`BatchKernel`;
    * the ``c × c`` Cholesky factors come from one stacked LAPACK call (column by column across
      the stack, :func:`_chol_small`, when a member is not positive definite) and the triangular
      solve runs row by row across the stack (:func:`_lower_solve`).

    A candidate with a non-positive residual variance (or a rank-deficient ``U``), where the
    factorisation does not apply, gets the dense ``F`` of ``Σ = D + UMU'`` and the flag ``fb``:
    :func:`fit_many` hands such a draw, once accepted, to the one-draw fit.

    Checked against: :meth:`cbeclab.sem.ml.CompiledModel.gradient` / ``expected_hessian`` and
    :class:`BatchKernel` (``tests/test_bootstrap_batch.py``, 1e-10).
    """

    def __init__(self, cm: CompiledModel) -> None:
        if not self.eligible(cm):
            raise ValueError("model outside the factor-model class of LowRankKernel")
        self.cm = cm
        p, m = cm.p, cm.m
        c = m - p
        self.p, self.c = p, c
        # theta -> the four blocks (flat scatter indices into each block)
        lo = cm.a_r < p
        self.lam0 = cm.A0[:p, p:].ravel().copy()
        self.lam_i, self.lam_t = cm.a_r[lo] * c + (cm.a_c[lo] - p), cm.a_t[lo]
        self.all0 = cm.A0[p:, p:].ravel().copy()
        self.all_i, self.all_t = (cm.a_r[~lo] - p) * c + (cm.a_c[~lo] - p), cm.a_t[~lo]
        so = cm.s_r < p
        self.d0 = np.diagonal(cm.S0)[:p].copy()
        self.d_i, self.d_t = cm.s_r[so], cm.s_t[so]
        self.m0 = cm.S0[p:, p:].ravel().copy()
        r, cc, t = cm.s_r[~so] - p, cm.s_c[~so] - p, cm.s_t[~so]
        self.m_i = np.concatenate([r * c + cc, cc * c + r])
        self.m_t = np.concatenate([t, t])
        self.Ic = np.eye(c)
        # derivative-vector columns (T columns 0..m-1, G' columns m..2m-1) -> columns of Z_s
        zmap = np.full(2 * m, -1, dtype=np.intp)
        zmap[:p] = np.arange(p)
        zmap[p:m] = p + np.arange(c)
        zmap[m + p : 2 * m] = p + c + np.arange(c)
        zu, zv = zmap[cm.u_idx], zmap[cm.v_idx]
        w = p + 2 * c
        self.w = w
        self.g_uu = (zu[:, None] * w + zu[None, :]).ravel()
        self.g_vv = (zv[:, None] * w + zv[None, :]).ravel()
        self.g_vu = (zv[:, None] * w + zu[None, :]).ravel()
        self.g_uv = (zu[:, None] * w + zv[None, :]).ravel()  # (Mvu)' gathered directly
        E = len(zu)
        self.E = E
        self.s_vv = (cm.v_scale[:, None] * cm.v_scale[None, :]).ravel()
        self.s_vu = np.broadcast_to(cm.v_scale[:, None], (E, E)).ravel().copy()
        self.s_uv = np.broadcast_to(cm.v_scale[None, :], (E, E)).ravel().copy()
        # gradient entries: diag W | W Z (p x 2c) | Z'W Z (2c x 2c), Z = [U V]
        gi = np.empty(E, dtype=np.intp)
        for e, (a, b) in enumerate(zip(zu.tolist(), zv.tolist(), strict=True)):
            if a < p and b < p:
                gi[e] = a  # a residual variance (eligible() rules out covariances)
            elif a < p:
                gi[e] = p + a * 2 * c + (b - p)
            else:
                gi[e] = p + p * 2 * c + (a - p) * 2 * c + (b - p)
        self.g_idx = gi
        self.g_mul = 2.0 * cm.v_scale
        self.diag_p = np.arange(p)

    @staticmethod
    def eligible(cm: CompiledModel) -> bool:
        """Factor-model structure: no covariates; every path (free or fixed) starts at a latent
        variable; (co)variances only as observed residual variances or among latent variables."""
        p, m = cm.p, cm.m
        if m == p or len(cm.exo_r):
            return False
        a_cols = np.concatenate([cm.a_c, np.nonzero(cm.A0)[1]])
        if np.any(a_cols < p):
            return False
        fr, fc = np.nonzero(cm.S0)
        r = np.concatenate([cm.s_r, fr])
        c = np.concatenate([cm.s_c, fc])
        obs_var = (r == c) & (r < p)
        lat = (r >= p) & (c >= p)
        return bool(np.all(obs_var | lat))

    def applies(self, theta: Array) -> bool:
        """Whether the factorisation holds at ``theta`` (positive residual variances, ``U`` of full
        column rank, ``Σ`` positive definite)."""
        p = self.p
        st = self.state(theta[None], np.eye(p)[None], np.zeros(1))
        return bool(np.isfinite(st["F"][0]) and not st["fb"][0])

    # ------------------------------------------------------------------ blocks of theta
    def _scatter(self, base: Array, idx: Array, t: Array, th: Array, shape: tuple[int, ...]) -> Array:
        out = np.broadcast_to(base, (th.shape[0], base.size)).copy()
        if idx.size:
            out[:, idx] = th[:, t]
        return out.reshape((th.shape[0], *shape))

    def blocks(self, th: Array) -> tuple[Array, Array, Array, Array]:
        """``Λ`` (k, p, c), ``A[L, L]`` (k, c, c), ``D`` (k, p) and ``M`` (k, c, c) at ``th``."""
        p, c = self.p, self.c
        lam = self._scatter(self.lam0, self.lam_i, self.lam_t, th, (p, c))
        all_ = self._scatter(self.all0, self.all_i, self.all_t, th, (c, c))
        D = self._scatter(self.d0, self.d_i, self.d_t, th, (p,))
        M = self._scatter(self.m0, self.m_i, self.m_t, th, (c, c))
        return lam, all_, D, M

    def _bl(self, all_: Array) -> Array:
        cm = self.cm
        if cm.depth is not None:  # nilpotent: I + A_LL + ... + A_LL^depth
            Bl = np.broadcast_to(self.Ic, all_.shape)
            for _ in range(cm.depth):
                Bl = self.Ic + all_ @ Bl
            return np.asarray(Bl)
        return _inv_stack(self.Ic - all_)

    # ------------------------------------------------------------------ the stacked model
    def state(self, th: Array, covs: Array, ld_s: Array) -> dict[str, Array]:
        """F (``inf`` where Σ is not positive definite) and the factors the gradient needs;
        ``fb`` flags draws outside the factorisation (see the class notes)."""
        p = self.p
        lam, all_, D, M = self.blocks(th)
        Bl = self._bl(all_)
        U = lam @ Bl
        ok = np.all(D > 0, axis=1)
        Di = 1.0 / np.where(ok[:, None], D, 1.0)
        P = Di[:, :, None] * U
        K = U.transpose(0, 2, 1) @ P
        R, r_ok = _chol_any(K)
        RtM = R.transpose(0, 2, 1) @ M
        N = self.Ic + RtM @ R
        Ln, n_ok = _chol_any(N)
        X = _lower_solve(Ln, RtM)
        Mt = M - X.transpose(0, 2, 1) @ X
        SP = covs @ P
        PSP = P.transpose(0, 2, 1) @ SP
        with np.errstate(divide="ignore", invalid="ignore"):
            logdet = np.log(D * ok[:, None] + ~ok[:, None]).sum(axis=1) + 2.0 * np.log(
                np.abs(np.diagonal(Ln, axis1=1, axis2=2))
            ).sum(axis=1)
        sdiag = np.diagonal(covs, axis1=1, axis2=2)
        tr = np.einsum("bi,bi->b", Di, sdiag) - np.einsum("bij,bij->b", PSP, Mt)
        F = logdet + tr - ld_s - p
        fit = ok & r_ok
        F = np.where(fit & n_ok, F, math.inf)
        fb = np.zeros(F.size, dtype=bool)
        if not fit.all():  # outside the factorisation: the dense F of D + U M U'
            j = np.flatnonzero(~fit)
            Sig = U[j] @ M[j] @ U[j].transpose(0, 2, 1)
            Sig[:, self.diag_p, self.diag_p] += D[j]
            L, good = _chol_stack(Sig)
            if good.any():
                jg = j[good]
                Si = _inv_stack(Sig[good])
                ld = 2.0 * np.log(np.diagonal(L[good], axis1=1, axis2=2)).sum(axis=1)
                F[jg] = ld + np.einsum("bij,bij->b", covs[jg], Si) - ld_s[jg] - p
                fb[jg] = True
        return {"F": F, "fb": fb, "U": U, "P": P, "Mt": Mt, "SP": SP, "PSP": PSP, "M": M, "Bl": Bl, "Di": Di}

    def _zy(self, st: dict[str, Array]) -> tuple[Array, Array, Array, Array]:
        """``Z = [U V]``, ``R2 = P M̃`` (Σ⁻¹ = D⁻¹ − R2 P'), ``P'Z`` and ``Y = Σ⁻¹Z``."""
        U, P, Mt, M, Bl, Di = st["U"], st["P"], st["Mt"], st["M"], st["Bl"], st["Di"]
        V = U @ (M @ Bl.transpose(0, 2, 1))
        Z = np.concatenate([U, V], axis=2)
        R2 = P @ Mt
        PtZ = P.transpose(0, 2, 1) @ Z
        Y = Di[:, :, None] * Z - R2 @ PtZ
        return Z, R2, PtZ, Y

    def gradient(self, st: dict[str, Array], covs: Array) -> Array:
        """∂F_ML/∂θ for every draw, shape ``(k, q)``."""
        cm = self.cm
        P, Mt, SP, PSP, Di = st["P"], st["Mt"], st["SP"], st["PSP"], st["Di"]
        k, p, c = P.shape
        Z, R2, PtZ, Y = self._zy(st)
        DV = Di[:, :, None] * Z[:, :, c:]
        SR2 = SP @ Mt  # S R2
        SY = np.concatenate([SP, covs @ DV], axis=2) - SR2 @ PtZ  # S Σ⁻¹ Z
        WZ = Y - (Di[:, :, None] * SY - R2 @ (P.transpose(0, 2, 1) @ SY))  # (Σ⁻¹ − Σ⁻¹SΣ⁻¹) Z
        # diag(Σ⁻¹SΣ⁻¹)_i with Σ⁻¹e_i = D⁻¹_i e_i − R2 P_i':
        #   D⁻¹_i² S_ii − 2 D⁻¹_i (S R2)_i·P_i + P_i (R2'S R2) P_i'
        Q = Mt @ PSP @ Mt
        sdiag = np.diagonal(covs, axis1=1, axis2=2)
        d_sss = Di * Di * sdiag - 2.0 * Di * np.einsum("bic,bic->bi", SR2, P)
        d_sss += np.einsum("bic,bic->bi", P @ Q, P)
        diag_w = Di - np.einsum("bic,bic->bi", R2, P) - d_sss
        ZWZ = Z.transpose(0, 2, 1) @ WZ
        flat = np.concatenate([diag_w, WZ.reshape(k, -1), ZWZ.reshape(k, -1)], axis=1)
        g = np.take(flat, self.g_idx, axis=1) * self.g_mul
        return g if cm._identity_J else g @ cm.J

    def sigma_inverse(self, st: dict[str, Array]) -> Array:
        """``Σ⁻¹ = D⁻¹ − P M̃ P'`` as ``(k, p, p)`` (for the Hessian and for tests)."""
        P = st["P"]
        Si = -(P @ st["Mt"] @ P.transpose(0, 2, 1))
        Si[:, self.diag_p, self.diag_p] += st["Di"]
        return Si

    def expected_hessian(self, st: dict[str, Array]) -> Array:
        """Expected Hessian per draw, ``(k, q, q)``: the formula of :meth:`BatchKernel.expected_hessian`
        on the Gram matrix ``Z_s'Σ⁻¹Z_s = [[Σ⁻¹, Y], [Y', Z'Y]]`` (``Y = Σ⁻¹Z``)."""
        cm = self.cm
        Z, _R2, _PtZ, Y = self._zy(st)
        Si = self.sigma_inverse(st)
        k, p = Si.shape[:2]
        w = self.w
        Ks = np.empty((k, w, w))
        Ks[:, :p, :p] = Si
        Ks[:, :p, p:] = Y
        Ks[:, p:, :p] = Y.transpose(0, 2, 1)
        Ks[:, p:, p:] = Z.transpose(0, 2, 1) @ Y
        Kf = Ks.reshape(k, -1)
        E = self.E
        Muu = np.take(Kf, self.g_uu, axis=1)
        Mvv = np.take(Kf, self.g_vv, axis=1) * self.s_vv
        Mvu = np.take(Kf, self.g_vu, axis=1) * self.s_vu
        MvuT = np.take(Kf, self.g_uv, axis=1) * self.s_uv
        H = (2.0 * (Mvu * MvuT + Mvv * Muu)).reshape(k, E, E)
        return H if cm._identity_J else cm.J.T @ H @ cm.J


def _chol_any(X: Array) -> tuple[Array, Array]:
    """Cholesky factors of a stack: LAPACK when every member is positive definite, else
    :func:`_chol_small` (which flags the others instead of raising)."""
    try:
        L = np.linalg.cholesky(X)
    except np.linalg.LinAlgError:
        return _chol_small(X)
    return L, np.asarray(np.isfinite(np.diagonal(L, axis1=1, axis2=2)).all(axis=1))


def _chol_small(X: Array) -> tuple[Array, Array]:
    """Lower Cholesky factors of a stack of small matrices, column by column across the stack;
    ``ok`` flags the positive-definite members (the others hold finite filler)."""
    k, c, _ = X.shape
    L = np.zeros_like(X)
    ok = np.ones(k, dtype=bool)
    for j in range(c):
        s = X[:, j:, j] - (L[:, j:, :j] @ L[:, j, :j, None])[:, :, 0] if j else X[:, j:, j].copy()
        d = s[:, 0]
        pos = d > 0
        ok &= pos
        L[:, j:, j] = s / np.sqrt(np.where(pos, d, 1.0))[:, None]
    return L, ok


def _lower_solve(L: Array, Bm: Array) -> Array:
    """``L⁻¹ Bm`` for stacks of lower-triangular ``L`` (forward substitution across the stack)."""
    c = L.shape[1]
    X = np.empty_like(Bm)
    d = np.diagonal(L, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(c):
            row = Bm[:, i, :] - (L[:, i, None, :i] @ X[:, :i, :])[:, 0, :] if i else Bm[:, i, :]
            X[:, i, :] = row / d[:, i, None]
    return X


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
    kernel: BatchKernel | LowRankKernel | None = None,
) -> tuple[Array, Array, Array]:
    """Minimise F_ML for every covariance matrix of ``covs`` (shape ``(k, p, p)``) from ``start``.

    Step 1 uses the inverse expected Hessian at ``start`` (the same for every draw); step 2 the
    draw's own inverse expected Hessian at its first iterate; later steps BFGS updates of it.
    (Measured on the seed-000 model: a shared metric with BFGS needs ~13 steps, a per-draw Hessian
    at the first iterate without updates ~10, with updates ~8; one-draw Newton 4-5 but each of its
    steps builds a Hessian, about five gradients' worth of arithmetic.)

    A draw leaves the stack as soon as it has converged: its gradient and inverse-Hessian update
    are not computed for the step that finished it.  Factor models use :class:`LowRankKernel`
    (:func:`kernel_for`); a draw that reaches a point outside its factorisation (a non-positive
    residual variance) is handed to ``fit_cov`` like a draw without descent.

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
        A kernel of ``cm`` (default :func:`kernel_for`).

    Returns
    -------
    theta, converged, n_iter
        Shapes ``(k, q)``, ``(k,)``, ``(k,)``.
    """
    covs = np.asarray(covs, dtype=np.float64)
    k = covs.shape[0]
    q = cm.q
    theta0 = np.asarray(start, dtype=np.float64)
    kern = kernel if kernel is not None else kernel_for(cm, theta0)
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
    good = np.isfinite(F) & ~_fallback(st)
    if not good.all():
        ids, th, C, ld, F = ids[good], th[good], C[good], ld[good], F[good]
        st = {key: val[good] for key, val in st.items()}
    g = kern.gradient(st, C)
    # step 1: the expected Hessian at the start (covariate block: the block's mean covariance)
    Sbar = covs.mean(axis=0)[None]
    st0 = kern.state(theta0[None], Sbar, np.linalg.slogdet(Sbar)[1])
    ok0 = bool(np.isfinite(st0["F"][0]) and not _fallback(st0)[0])
    H0 = kern.expected_hessian(st0)[0] if ok0 else np.eye(q)
    metric = _InverseBFGS(_inv_or_pinv(H0))
    for it in range(1, max_iter + 1):
        if ids.size == 0:
            break
        nit[ids] = it
        step = -metric.apply(g)
        new_th, new_F, new_st, alpha = _line_search(kern, th, step, F, C, ld)
        # no descent at all, or outside the kernel's factorisation: the draw goes to fit_cov
        moved = np.isfinite(new_F) & ~_fallback(new_st)
        size = np.max(np.abs(alpha[:, None] * step), axis=1) if q else np.zeros(ids.size)
        dF = F - new_F
        done = moved & ((size < scale) | ((alpha == 1.0) & (dF < tol * tol * (1.0 + np.abs(new_F)))))
        out_th[ids[done]] = new_th[done]
        conv[ids[done]] = True
        keep = moved & ~done
        s_vec = new_th - th
        if not keep.all():
            ids, C, ld, g, s_vec = ids[keep], C[keep], ld[keep], g[keep], s_vec[keep]
            new_th, new_F = new_th[keep], new_F[keep]
            new_st = {key: val[keep] for key, val in new_st.items()}
            metric.take(keep)
        th, F, st = new_th, new_F, new_st
        if ids.size == 0:
            break
        g_new = kern.gradient(st, C)
        if it == 1:  # each draw's own inverse expected Hessian at its first iterate
            metric = _InverseBFGS(_inv_or_pinv_stack(kern.expected_hessian(st)))
        else:
            metric.update(s_vec, g_new - g)
        g = g_new
    for i in np.flatnonzero(~conv).tolist():  # the exact one-draw Newton fit
        try:
            t1, ok1, it1 = cm.fit_cov(covs[i], n, start=theta0, tol=tol)
        except Exception:  # noqa: BLE001 - the caller records the failure
            t1, ok1, it1 = np.full(q, np.nan), False, 0
        out_th[i], conv[i], nit[i] = t1, ok1, nit[i] + it1
    return out_th, conv, nit


def _fallback(st: dict[str, Array]) -> Array:
    """Draws a kernel flags as outside its factorisation (all False for :class:`BatchKernel`)."""
    fb = st.get("fb")
    return fb if fb is not None else np.zeros(st["F"].size, dtype=bool)


def _line_search(
    kern: Any, th: Array, step: Array, F: Array, C: Array, ld: Array, halvings: int = 30
) -> tuple[Array, Array, dict[str, Array], Array]:
    """Step halving per draw: the first of ``th + α step`` (α = 1, ½, ¼, …; at most ``halvings``
    evaluations) with ``F`` not above the current value.  Draws without such a point get
    ``F = inf``.  The common case, every full step accepted, costs one kernel state and no copies.
    """
    thr = F + 1e-12 * (1.0 + np.abs(F))
    alpha = np.ones(th.shape[0])
    cand = th + step
    s2 = kern.state(cand, C, ld)
    ok = s2["F"] <= thr
    if ok.all():
        return cand, s2["F"], s2, alpha
    new_F = np.full(th.shape[0], math.inf)
    new_th = th.copy()
    new_st = {key: np.empty_like(val) for key, val in s2.items()}
    pos = np.flatnonzero(ok)
    todo = np.flatnonzero(~ok)
    for _h in range(1, halvings + 1):
        new_th[pos], new_F[pos] = cand[ok], s2["F"][ok]
        for key, val in s2.items():
            new_st[key][pos] = val[ok]
        if todo.size == 0 or _h == halvings:
            break
        alpha[todo] *= 0.5
        cand = th[todo] + alpha[todo, None] * step[todo]
        s2 = kern.state(cand, C[todo], ld[todo])
        ok = s2["F"] <= thr[todo]
        pos, todo = todo[ok], todo[~ok]
    return new_th, new_F, new_st, alpha


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


class _InverseBFGS:
    """BFGS inverse-Hessian approximations of a stack of draws, kept as their base matrix and the
    update pairs: ``H g`` by the two-loop recursion (Nocedal & Wright 2006, Algorithm 7.4) with
    every pair kept, which is the full BFGS update of eq. 6.17 applied to the base, without
    forming a ``(k, q, q)`` matrix per step.  A pair whose curvature ``s'y`` is not positive
    (``s'y ≤ 1e-12 |s||y|``) is skipped (``ρ = 0``).

    ``base`` is one ``(q, q)`` matrix shared by every draw or a ``(k, q, q)`` stack.
    """

    def __init__(self, base: Array) -> None:
        self.base = base
        self.pairs: list[tuple[Array, Array, Array]] = []

    def apply(self, g: Array) -> Array:
        """``H_b g_b`` for every draw ``b`` of ``g`` (shape ``(k, q)``)."""
        q = g
        alphas = []
        for s, y, rho in reversed(self.pairs):
            a = rho * np.einsum("bi,bi->b", s, q)
            q = q - a[:, None] * y
            alphas.append(a)
        if self.base.ndim == 2:
            r = q @ self.base.T
        else:
            r = (self.base @ q[:, :, None])[:, :, 0]
        for (s, y, rho), a in zip(self.pairs, reversed(alphas), strict=True):
            b = rho * np.einsum("bi,bi->b", y, r)
            r = r + (a - b)[:, None] * s
        return r

    def update(self, s: Array, y: Array) -> None:
        """Add the pair of a step ``s`` and gradient change ``y`` (shapes ``(k, q)``)."""
        sy = np.einsum("bi,bi->b", s, y)
        ok = sy > 1e-12 * np.sqrt(np.einsum("bi,bi->b", s, s) * np.einsum("bi,bi->b", y, y))
        rho = np.where(ok, 1.0 / np.where(ok, sy, 1.0), 0.0)
        self.pairs.append((s, y, rho))

    def take(self, keep: Array) -> None:
        """Keep the draws flagged in ``keep`` (a shared base stays shared)."""
        if self.base.ndim == 3:
            self.base = self.base[keep]
        self.pairs = [(s[keep], y[keep], rho[keep]) for s, y, rho in self.pairs]

    def matrix(self) -> Array:
        """The approximations as a ``(k, q, q)`` stack (for tests)."""
        pairs = self.pairs
        k = pairs[0][0].shape[0] if pairs else (self.base.shape[0] if self.base.ndim == 3 else 1)
        H = np.array(np.broadcast_to(self.base, (k, *self.base.shape[-2:])))
        for s, y, rho in pairs:
            Hy = (H @ y[:, :, None])[:, :, 0]
            yHy = np.einsum("bi,bi->b", y, Hy)
            H = (
                H
                - rho[:, None, None] * (Hy[:, :, None] * s[:, None, :] + s[:, :, None] * Hy[:, None, :])
                + ((rho * rho * yHy + rho)[:, None, None]) * (s[:, :, None] * s[:, None, :])
            )
        return H


def kernel_for(cm: Any, start: Array | None = None) -> BatchKernel | LowRankKernel:
    """The fastest kernel for ``cm``, cached on the compiled model object: a
    :class:`LowRankKernel` for factor models whose factorisation holds at ``start`` (every residual
    variance positive, ``Σ`` positive definite), else a :class:`BatchKernel`."""
    if LowRankKernel.eligible(cm):
        lk = getattr(cm, "_lowrank_kernel", None)
        if lk is None:
            lk = LowRankKernel(cm)
            cm._lowrank_kernel = lk
        if start is None or lk.applies(np.asarray(start, dtype=np.float64)):
            return lk
    kern = getattr(cm, "_batch_kernel", None)
    if kern is None:
        kern = BatchKernel(cm)
        cm._batch_kernel = kern
    return kern
