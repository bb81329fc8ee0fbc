"""The batched bootstrap kernel (cbeclab.sem.batchfit) against the one-draw core of cbeclab.sem.ml.

Reference: ``CompiledModel.gradient`` (analytic) and ``CompiledModel.fit_cov`` run to a tight
tolerance on the same resampled covariance matrices; the Woodbury Σ⁻¹ against the dense inverse.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.sem.batchfit import BatchKernel, fit_many
from cbeclab.sem.bootstrap import bootstrap, full_fit
from cbeclab.sem.resample import block_covariances

FIXDIR = Path(__file__).parent / "fixtures"
FIX = json.loads((FIXDIR / "boot_lavaan.json").read_text())
CASES = {
    "latent": (FIX["latent"]["syntax"], FIX["latent"]["data"]),  # Woodbury path
    "path": (FIX["path"]["syntax"], FIX["path"]["data"]),  # observed path model, fixed.x: dense path
}


@pytest.fixture(scope="module", params=sorted(CASES))
def fitted(request: pytest.FixtureRequest):
    syntax, data = CASES[request.param]
    ff = full_fit(syntax, pd.read_csv(FIXDIR / data))
    return request.param, ff


def test_kernel_state_and_gradient_match_the_core(fitted) -> None:
    name, ff = fitted
    cm = ff.compiled
    kern = BatchKernel(cm)
    assert kern.woodbury == (name == "latent")
    covs = block_covariances(ff.X, 5, 0, 6)
    rng = np.random.default_rng(2)
    th = ff.theta + 0.02 * rng.standard_normal((6, cm.q))
    ld = np.linalg.slogdet(covs)[1]
    st = kern.state(th, covs, ld)
    g = kern.gradient(st, covs)
    H = kern.expected_hessian(st)
    for i in range(6):
        cm.set_exo(covs[i])
        ref = cm._state(th[i], covs[i], ld[i])
        assert st["F"][i] == pytest.approx(ref[0], abs=1e-10)
        np.testing.assert_allclose(st["Si"][i], ref[2], atol=1e-10)
        np.testing.assert_allclose(g[i], cm.gradient(th[i], covs[i]), atol=1e-10)
        np.testing.assert_allclose(H[i], cm.expected_hessian(th[i]), atol=1e-10)
    if kern.woodbury:  # the dense branch gives the same numbers
        kern.woodbury = False
        st2 = kern.state(th, covs, ld)
        np.testing.assert_allclose(st2["Si"], st["Si"], atol=1e-12)
        np.testing.assert_allclose(st2["F"], st["F"], atol=1e-12)


def test_fit_many_reaches_the_core_minimum(fitted) -> None:
    _name, ff = fitted
    cm = ff.compiled
    n = ff.X.shape[0]
    covs = block_covariances(ff.X, 1, 0, 100)
    th, ok, it = fit_many(cm, covs, n, ff.theta, tol=1e-6)
    assert ok.all() and it.max() < 40
    tight = np.array([cm.fit_cov(c, n, start=ff.theta, tol=1e-12)[0] for c in covs])
    # refit tolerance 1e-6 (1 + max|theta|): the batched minimiser is the same to ~1e-6
    assert np.abs(th - tight).max() < 2e-5


def test_batched_and_one_draw_bootstraps_agree() -> None:
    syntax, data = CASES["latent"]
    df = pd.read_csv(FIXDIR / data)
    a = bootstrap(syntax, df, n_boot=200, seed=4, n_jobs=1, batched=True)
    b = bootstrap(syntax, df, n_boot=200, seed=4, n_jobs=1, batched=False)
    assert a.n_failed == b.n_failed == 0
    assert np.abs(a.draws - b.draws).max() < 2e-5
    fa, fb = a.to_frame(), b.to_frame()
    np.testing.assert_allclose(fa["se"], fb["se"], atol=1e-5)
    np.testing.assert_allclose(fa["ci_lower"], fb["ci_lower"], atol=2e-5)


def test_stuck_draws_go_to_the_one_draw_fit() -> None:
    """A draw whose quasi-Newton steps never lower F is refitted by fit_cov, not lost."""
    syntax, data = CASES["latent"]
    ff = full_fit(syntax, pd.read_csv(FIXDIR / data))
    cm = ff.compiled
    covs = block_covariances(ff.X, 1, 0, 4)
    th, ok, it = fit_many(cm, covs, ff.X.shape[0], ff.theta, tol=1e-6, max_iter=1)
    assert ok.all()  # one batched step is not enough: all four were finished by fit_cov
    ref = np.array([cm.fit_cov(c, ff.X.shape[0], start=ff.theta, tol=1e-6)[0] for c in covs])
    np.testing.assert_allclose(th, ref, atol=1e-12)


# --------------------------------------------------------------------------------------------------
# LowRankKernel (factor models), the two-loop BFGS metric and the line search
# --------------------------------------------------------------------------------------------------

from cbeclab.sem.batchfit import (  # noqa: E402
    LowRankKernel,
    _chol_small,
    _InverseBFGS,
    _line_search,
    _lower_solve,
    kernel_for,
)

# equality labels (J not the identity), fixed loadings, a latent regression and a covariance
EQUAL_LOADINGS = """
F1 =~ x1 + a*x2 + a*x3
F2 =~ x4 + x5 + x6
F3 =~ x7 + x8 + x9
F3 ~ F1 + F2
"""


def _hs_like(n: int = 300, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((n, 3)) @ np.array([[1.0, 0.4, 0.5], [0.0, 0.9, 0.3], [0.0, 0.0, 0.8]])
    lam = np.array([1.0, 0.8, 0.8, 1.0, 1.1, 0.7, 1.0, 0.9, 1.2])
    X = f[:, [0, 0, 0, 1, 1, 1, 2, 2, 2]] * lam + 0.6 * rng.standard_normal((n, 9))
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 10)])


LOWRANK_CASES = {
    "latent": CASES["latent"],
    "equal": (EQUAL_LOADINGS, None),
    "std_lv": ("F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nF1 ~~ F2\n", None),
}


def _lowrank_fit(name: str):
    syntax, data = LOWRANK_CASES[name]
    df = pd.read_csv(FIXDIR / data) if data else _hs_like()
    return full_fit(syntax, df, std_lv=name == "std_lv")


@pytest.mark.parametrize("name", sorted(LOWRANK_CASES))
def test_lowrank_kernel_matches_the_core_and_the_dense_kernel(name: str) -> None:
    ff = _lowrank_fit(name)
    cm = ff.compiled
    assert LowRankKernel.eligible(cm)
    assert isinstance(kernel_for(cm, ff.theta), LowRankKernel)
    lk, bk = LowRankKernel(cm), BatchKernel(cm)
    covs = block_covariances(ff.X, 5, 0, 6)
    th = ff.theta + 0.02 * np.random.default_rng(2).standard_normal((6, cm.q))
    ld = np.linalg.slogdet(covs)[1]
    st, sb = lk.state(th, covs, ld), bk.state(th, covs, ld)
    np.testing.assert_allclose(st["F"], sb["F"], atol=1e-10)
    assert not st["fb"].any()
    np.testing.assert_allclose(lk.sigma_inverse(st), sb["Si"], atol=1e-10)
    g, H = lk.gradient(st, covs), lk.expected_hessian(st)
    for i in range(6):
        np.testing.assert_allclose(g[i], cm.gradient(th[i], covs[i]), atol=1e-10)
        np.testing.assert_allclose(H[i], cm.expected_hessian(th[i]), atol=1e-10)


def test_lowrank_kernel_is_only_used_where_it_applies() -> None:
    path = full_fit(*[CASES["path"][0], pd.read_csv(FIXDIR / CASES["path"][1])])
    assert not LowRankKernel.eligible(path.compiled)  # observed predictors (fixed.x)
    resid_cov = full_fit("F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nx1 ~~ x4\n", _hs_like())
    assert not LowRankKernel.eligible(resid_cov.compiled)
    assert isinstance(kernel_for(resid_cov.compiled, resid_cov.theta), BatchKernel)


def test_lowrank_flags_points_outside_its_factorisation() -> None:
    """A negative residual variance with Σ still positive definite: the dense F, flagged ``fb``;
    fit_many hands such a draw to fit_cov instead of letting the batch stop at the boundary."""
    ff = _lowrank_fit("latent")
    cm = ff.compiled
    lk = LowRankKernel(cm)
    t = int(cm.s_t[cm.s_r == cm.s_c][0])  # the first observed residual variance
    th = ff.theta.copy()
    covs = block_covariances(ff.X, 5, 0, 1)
    ld = np.linalg.slogdet(covs)[1]
    th[t] = -1e-3
    Sigma = cm.implied(th)[0]
    st = lk.state(th[None], covs, ld)
    if np.all(np.linalg.eigvalsh(Sigma) > 0):
        assert st["fb"][0]
        cm.set_exo(covs[0])
        assert st["F"][0] == pytest.approx(cm._state(th, covs[0], ld[0])[0], abs=1e-10)
    else:
        assert not np.isfinite(st["F"][0])
    assert not lk.applies(th)
    assert lk.applies(ff.theta)


def test_small_cholesky_and_solve_match_lapack() -> None:
    rng = np.random.default_rng(3)
    A = rng.standard_normal((8, 4, 4))
    X = A @ A.transpose(0, 2, 1) + 0.1 * np.eye(4)
    X[2] = -X[2]  # not positive definite: flagged, not raised
    L, ok = _chol_small(X)
    assert ok.tolist() == [True, True, False, True, True, True, True, True]
    np.testing.assert_allclose(L[ok], np.linalg.cholesky(X[ok]), atol=1e-12)
    B = rng.standard_normal((8, 4, 3))
    np.testing.assert_allclose(_lower_solve(L[ok], B[ok]), np.linalg.solve(L[ok], B[ok]), atol=1e-10)


def test_two_loop_metric_is_the_bfgs_update() -> None:
    """Base + pairs applied by the two-loop recursion = the explicit BFGS inverse update (eq. 6.17),
    a pair without positive curvature skipped."""
    rng = np.random.default_rng(4)
    k, q = 5, 6
    A = rng.standard_normal((k, q, q))
    base = A @ A.transpose(0, 2, 1) + np.eye(q)
    m = _InverseBFGS(base.copy())
    H = base.copy()
    for j in range(4):
        s, y = rng.standard_normal((k, q)), rng.standard_normal((k, q))
        y[0] = -s[0] if j == 1 else y[0]  # negative curvature for draw 0 at the second pair
        m.update(s, y)
        for b in range(k):
            sy = s[b] @ y[b]
            if sy <= 1e-12 * np.linalg.norm(s[b]) * np.linalg.norm(y[b]):
                continue
            r = 1.0 / sy
            V = np.eye(q) - r * np.outer(s[b], y[b])
            H[b] = V @ H[b] @ V.T + r * np.outer(s[b], s[b])
    g = rng.standard_normal((k, q))
    np.testing.assert_allclose(m.apply(g), np.einsum("bij,bj->bi", H, g), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.matrix(), H, rtol=1e-10, atol=1e-12)
    shared = _InverseBFGS(base[0])
    np.testing.assert_allclose(shared.apply(g), g @ base[0].T, rtol=1e-13)


def test_line_search_halves_per_draw() -> None:
    ff = _lowrank_fit("latent")
    cm = ff.compiled
    kern = kernel_for(cm, ff.theta)
    covs = block_covariances(ff.X, 2, 0, 8)
    ld = np.linalg.slogdet(covs)[1]
    th = np.broadcast_to(ff.theta, (8, cm.q)).copy()
    F = kern.state(th, covs, ld)["F"]
    g = kern.gradient(kern.state(th, covs, ld), covs)
    step = -g * np.array([1e-3, 1e-3, 5.0, 50.0, 1e-3, 500.0, 1e-3, 1e-3])[:, None]
    new_th, new_F, st, alpha = _line_search(kern, th, step, F, covs, ld)
    for b in range(8):  # the first alpha in 1, 1/2, 1/4, ... whose F does not rise
        a = 1.0
        while True:
            Fb = kern.state(th[b : b + 1] + a * step[b], covs[b : b + 1], ld[b : b + 1])["F"][0]
            if Fb <= F[b] + 1e-12 * (1 + abs(F[b])):
                break
            a *= 0.5
        assert alpha[b] == a
        np.testing.assert_allclose(new_th[b], th[b] + a * step[b], rtol=0, atol=0)
        assert new_F[b] == st["F"][b] == pytest.approx(Fb, rel=1e-12)
    assert (alpha < 1).sum() >= 2


def test_lowrank_fit_many_agrees_with_the_dense_kernel() -> None:
    ff = _lowrank_fit("equal")
    cm = ff.compiled
    n = ff.X.shape[0]
    covs = block_covariances(ff.X, 3, 0, 100)
    a = fit_many(cm, covs, n, ff.theta)
    b = fit_many(cm, covs, n, ff.theta, kernel=BatchKernel(cm))
    assert a[1].all() and b[1].all()
    assert np.abs(a[0] - b[0]).max() < 1e-9
    tight = np.array([cm.fit_cov(c, n, start=ff.theta, tol=1e-12)[0] for c in covs[:20]])
    assert np.abs(a[0][:20] - tight).max() < 2e-5


def test_latent_draws_identical_across_process_counts_and_chunks() -> None:
    syntax, data = CASES["latent"]
    df = pd.read_csv(FIXDIR / data)
    one = bootstrap(syntax, df, n_boot=300, seed=2, n_jobs=1)
    two = bootstrap(syntax, df, n_boot=300, seed=2, n_jobs=2, chunk=100)
    odd = bootstrap(syntax, df, n_boot=300, seed=2, n_jobs=1, chunk=70)  # chunks across blocks
    np.testing.assert_array_equal(one.draws, two.draws)
    np.testing.assert_array_equal(one.draws, odd.draws)
    np.testing.assert_array_equal(one.defined_std_draws, two.defined_std_draws)
