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
