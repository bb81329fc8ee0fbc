"""Mean and covariance structure of a parameter table (RAM form with a mean vector).

With all ``m`` variables (observed first, then latent), the regression/loading matrix ``A``, the
symmetric (residual) covariance matrix ``S`` and the intercept vector ``M`` (``~1`` rows),

    B = (I - A)^{-1},   Sigma(theta) = [B S B']_{obs},   mu(theta) = [B M]_{obs}.

The derivatives with respect to one entry are exact rank-one / rank-two updates
(McArdle & McDonald 1984; the same algebra as :mod:`cbeclab.sem.ml`):

* ``A[i, j]``:  dSigma_all = b_i g_j' + g_j b_i',  g_j = (B S B')[j, :];  dmu_all = b_i (B M)_j
* ``S[i, j]``:  dSigma_all = b_i b_j' + b_j b_i'  (``b_i b_i'`` when i = j)
* ``M[i]``:     dmu_all = b_i

with ``b_i`` the i-th column of ``B``; parameters sharing a label are summed.  This module is the
general (slower, any estimator) path next to the covariance-only fast core in :mod:`cbeclab.sem.ml`;
the two give the same Sigma (checked in ``tests/test_sem_fiml.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cbeclab.errors import DataError
from cbeclab.sem.ml import Array
from cbeclab.sem.partable import ParTable

__all__ = ["MomentModel"]


class MomentModel:
    """Implied means and covariances, and their Jacobian, for one parameter table.

    Parameters
    ----------
    pt
        Parameter table; ``~1`` rows give the mean structure (without them ``mu`` is 0).
    ov_names
        Order of the observed variables (default ``pt.ov_names``).
    """

    def __init__(self, pt: ParTable, ov_names: Sequence[str] | None = None) -> None:
        self.pt = pt
        ov = list(ov_names) if ov_names is not None else list(pt.ov_names)
        if sorted(ov) != sorted(pt.ov_names):
            raise DataError(
                "the data variables do not match the model's observed variables",
                where="MomentModel",
                fix=f"pass exactly the variables {list(pt.ov_names)}",
            )
        self.ov_names = tuple(ov)
        names = ov + list(pt.lv_names)
        self.var_names = tuple(names)
        pos = {v: i for i, v in enumerate(names)}
        self.p, self.m = len(ov), len(names)
        self.is_lv = np.array([i >= self.p for i in range(self.m)])
        tab = pt.table
        par = tab[tab["op"] != ":="]
        self.n_par_rows = len(par)
        self.q = pt.n_free
        n = len(par)
        kind = np.zeros(n, dtype=np.int8)  # 0 A, 1 S, 2 M
        r = np.zeros(n, dtype=np.intp)
        c = np.zeros(n, dtype=np.intp)
        for k, (lhs, op, rhs) in enumerate(zip(par["lhs"], par["op"], par["rhs"], strict=True)):
            if op == "=~":
                r[k], c[k] = pos[rhs], pos[lhs]
            elif op == "~":
                r[k], c[k] = pos[lhs], pos[rhs]
            elif op == "~1":
                kind[k] = 2
                r[k] = c[k] = pos[lhs]
            else:
                kind[k] = 1
                r[k], c[k] = pos[lhs], pos[rhs]
        self.row_kind, self.row_r, self.row_c = kind, r, c
        self.row_free = par["free"].to_numpy(dtype=np.intp)
        self.row_exo = par["exo"].to_numpy(dtype=bool)
        ustart = par["ustart"].to_numpy(dtype=float)
        self.user_start = np.full(self.q, np.nan)
        for k in np.flatnonzero(self.row_free > 0).tolist():
            if not np.isnan(ustart[k]):
                self.user_start[self.row_free[k] - 1] = ustart[k]
        self.A0 = np.zeros((self.m, self.m))
        self.S0 = np.zeros((self.m, self.m))
        self.M0 = np.zeros(self.m)
        for k in np.flatnonzero((self.row_free == 0) & ~self.row_exo).tolist():
            self._put(self.A0, self.S0, self.M0, k, 0.0 if np.isnan(ustart[k]) else ustart[k])
        self.free_rows = np.flatnonzero(self.row_free > 0)
        self.I_m = np.eye(self.m)

    def _put(self, A: Array, S: Array, M: Array, k: int, val: float) -> None:
        kind, i, j = self.row_kind[k], self.row_r[k], self.row_c[k]
        if kind == 0:
            A[i, j] = val
        elif kind == 1:
            S[i, j] = S[j, i] = val
        else:
            M[i] = val

    def set_exo(self, mean: Array, cov: Array) -> None:
        """Fix the covariates' block (``exo`` rows) at the given means / covariances (ov order)."""
        for k in np.flatnonzero(self.row_exo).tolist():
            i, j = int(self.row_r[k]), int(self.row_c[k])
            val = mean[i] if self.row_kind[k] == 2 else cov[i, j]
            self._put(self.A0, self.S0, self.M0, k, float(val))

    def matrices(self, theta: Array) -> tuple[Array, Array, Array]:
        """``A, S, M`` at ``theta``."""
        A, S, M = self.A0.copy(), self.S0.copy(), self.M0.copy()
        for k in self.free_rows.tolist():
            self._put(A, S, M, k, float(theta[self.row_free[k] - 1]))
        return A, S, M

    def implied_all(self, theta: Array) -> tuple[Array, Array, Array]:
        """``B, mu_all = B M, C_all = B S B'`` for all m variables."""
        A, S, M = self.matrices(theta)
        B = np.linalg.inv(self.I_m - A)
        return B, B @ M, B @ S @ B.T

    def implied(self, theta: Array) -> tuple[Array, Array]:
        """``mu, Sigma`` of the observed variables."""
        _, mu, C = self.implied_all(theta)
        p = self.p
        return mu[:p], C[:p, :p]

    def jacobian(self, theta: Array) -> tuple[Array, Array]:
        """``dmu`` (p x q) and ``dSigma`` (p x p x q) at ``theta`` (analytic, see module docstring)."""
        A, S, M = self.matrices(theta)
        B = np.linalg.inv(self.I_m - A)
        p = self.p
        G = B @ S @ B.T  # rows g_j
        mu_all = B @ M
        Bp = B[:p]
        dmu = np.zeros((p, self.q))
        dS = np.zeros((p, p, self.q))
        for k in self.free_rows.tolist():
            t = int(self.row_free[k]) - 1
            i, j, kind = int(self.row_r[k]), int(self.row_c[k]), self.row_kind[k]
            bi = Bp[:, i]
            if kind == 0:
                gj = G[j, :p]
                o = np.outer(bi, gj)
                dS[:, :, t] += o + o.T
                dmu[:, t] += bi * mu_all[j]
            elif kind == 1:
                if i == j:
                    dS[:, :, t] += np.outer(bi, bi)
                else:
                    o = np.outer(bi, Bp[:, j])
                    dS[:, :, t] += o + o.T
            else:
                dmu[:, t] += bi
        return dmu, dS

    def row_values(self, theta: Array) -> Array:
        """Estimate of every non-``:=`` row."""
        A, S, M = self.matrices(theta)
        k, r, c = self.row_kind, self.row_r, self.row_c
        return np.where(k == 0, A[r, c], np.where(k == 1, S[r, c], M[r]))

    def start_values(self, mean: Array, cov: Array) -> Array:
        """Simple starts (lavaan ``start = "simple"`` in spirit): loadings from covariances with the
        marker, residual variances half the observed variance, intercepts the sample means."""
        theta = np.zeros(self.q)
        p = self.p
        diag = np.diag(cov)
        lv_var = np.ones(self.m)
        markers: dict[int, tuple[int, float]] = {}
        for k in range(self.n_par_rows):
            if self.row_kind[k] == 0 and self.is_lv[self.row_c[k]] and self.row_free[k] == 0:
                f, ind = int(self.row_c[k]), int(self.row_r[k])
                val = self.A0[ind, f]
                if val != 0 and f not in markers:
                    markers[f] = (ind, val)
        for f, (ind, val) in markers.items():
            lv_var[f] = max(0.5 * diag[ind] / (val * val), 1e-3) if ind < p else 0.05
        for k in self.free_rows.tolist():
            t = int(self.row_free[k]) - 1
            i, j, kind = int(self.row_r[k]), int(self.row_c[k]), self.row_kind[k]
            if kind == 0 and self.is_lv[j] and i < p:
                if j in markers and markers[j][0] < p:
                    mk, val = markers[j]
                    theta[t] = cov[i, mk] / (val * lv_var[j])
                else:
                    theta[t] = float(np.sqrt(max(0.5 * diag[i] / lv_var[j], 1e-6)))
            elif kind == 0 and self.is_lv[j]:
                theta[t] = 1.0
            elif kind == 1 and i == j:
                theta[t] = 0.5 * diag[i] if i < p else lv_var[i]
            elif kind == 2 and i < p:
                theta[t] = mean[i]
        user = ~np.isnan(self.user_start)
        theta[user] = self.user_start[user]
        return theta
