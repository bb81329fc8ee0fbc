"""Bootstrap machinery: deterministic draws, moments, CI arithmetic, runners, failure accounting.

The refits here use a tiny closed-form "compiled model" (observed x -> m -> y path model, whose ML
estimates are OLS on the covariance matrix) so the machinery is tested independently of the SEM core.
"""

from __future__ import annotations

import functools
import math
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from cbeclab.errors import CbecWarning, SpecError
from cbeclab.sem.bootstrap import (
    RefitSpec,
    bc_ci,
    boot_se,
    failure_warnings,
    norm_inter,
    percentile_ci,
    run_draws,
)
from cbeclab.sem.resample import BLOCK, block_covariances, draw_counts, draw_indices, resampled_moments


@dataclass(frozen=True)
class ToyMediation:
    """x -> m -> y with direct x -> y; theta = [a, b, c, var_x, res_m, res_y]."""

    fail_above: float = math.inf  # declare non-convergence when S[0, 0] exceeds this

    def fit_cov(self, S: np.ndarray, n: int, start: np.ndarray | None = None) -> tuple[np.ndarray, bool, int]:
        a = S[1, 0] / S[0, 0]
        c, b = np.linalg.solve(S[:2, :2], S[:2, 2])
        res_m = S[1, 1] - a * S[1, 0]
        res_y = S[2, 2] - (c * S[0, 2] + b * S[1, 2])
        theta = np.array([a, b, c, S[0, 0], res_m, res_y])
        return theta, bool(S[0, 0] <= self.fail_above), 1

    def standardized(self, theta: np.ndarray) -> np.ndarray:
        a, b, c, vx, rm, ry = theta
        vm = a * a * vx + rm
        cov_xm = a * vx
        vy = b * b * vm + c * c * vx + 2 * b * c * cov_xm + ry
        return np.array(
            [a * math.sqrt(vx / vm), b * math.sqrt(vm / vy), c * math.sqrt(vx / vy), 1.0, rm / vm, ry / vy]
        )

    def defined(self, theta: np.ndarray) -> np.ndarray:
        a, b, c = theta[:3]
        return np.array([a * b, c, a * b + c])

    def defined_std(self, std: np.ndarray) -> np.ndarray:
        return self.defined(std)


def toy_data(n: int = 120, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    m = 0.5 * x + rng.normal(size=n)
    y = 0.4 * m + 0.2 * x + rng.normal(size=n)
    return np.column_stack([x, m, y])


def toy_spec(fail_above: float = math.inf, seed: int = 11) -> RefitSpec:
    X = toy_data()
    S = np.cov(X.T, ddof=0)
    model = ToyMediation(fail_above)
    theta0, _, _ = model.fit_cov(S, X.shape[0])
    return RefitSpec(factory=functools.partial(ToyMediation, fail_above), X=X, theta0=theta0, seed=seed)


# ---------------------------------------------------------------- draws


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32),
    st.integers(2, 40),
    st.lists(st.integers(0, 450), min_size=1, max_size=4),
)
def test_draw_indices_do_not_depend_on_chunking(seed: int, n: int, cuts: list[int]) -> None:
    total = 450
    whole = draw_indices(seed, n, 0, total)
    edges = sorted({0, total, *cuts})
    parts = np.concatenate([draw_indices(seed, n, s, e) for s, e in zip(edges[:-1], edges[1:])])
    np.testing.assert_array_equal(whole, parts)
    assert whole.shape == (total, n)
    assert whole.min() >= 0 and whole.max() < n


def test_draw_indices_depend_on_seed_and_draw() -> None:
    a = draw_indices(1, 50, 0, 2 * BLOCK)
    b = draw_indices(2, 50, 0, 2 * BLOCK)
    assert not np.array_equal(a, b)
    assert not np.array_equal(a[0], a[BLOCK])  # blocks are distinct streams
    # roughly uniform: each row drawn about once per draw on average
    counts = draw_counts(a, 50)
    assert np.all(counts.sum(axis=1) == 50)
    assert abs(counts.mean() - 1.0) < 1e-12


def test_draw_indices_reject_bad_input() -> None:
    with pytest.raises(SpecError):
        draw_indices(-1, 10, 0, 5)
    with pytest.raises(SpecError):
        draw_indices(0, 1, 0, 5)
    with pytest.raises(SpecError):
        draw_indices(0, 10, 5, 2)


@pytest.mark.parametrize("ddof", [0, 1])
def test_resampled_moments_match_numpy(ddof: int) -> None:
    X = toy_data(60) * 10 + 100  # offset tests the centring
    idx = draw_indices(5, 60, 0, 30)
    means, covs = resampled_moments(X, idx, ddof=ddof)
    for b in range(30):
        Xb = X[idx[b]]
        np.testing.assert_allclose(means[b], Xb.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(covs[b], np.cov(Xb.T, ddof=ddof), rtol=1e-10, atol=1e-10)


def test_block_covariances_are_bitwise_chunk_independent() -> None:
    X = toy_data(90)
    whole = block_covariances(X, 4, 0, 260)
    parts = np.concatenate([block_covariances(X, 4, s, e) for s, e in ((0, 37), (37, 150), (150, 260))])
    np.testing.assert_array_equal(whole, parts)
    _, direct = resampled_moments(X, draw_indices(4, 90, 0, 260))
    np.testing.assert_allclose(whole, direct, rtol=1e-12, atol=1e-13)


# ---------------------------------------------------------------- CI arithmetic (hand-worked)


def test_norm_inter_hand_worked() -> None:
    t = np.arange(1.0, 20.0)  # R = 19, (R + 1) * 0.05 = 1 exactly -> t(1)
    assert norm_inter(t, [0.05])[0] == 1.0
    assert norm_inter(t, [0.5])[0] == 10.0  # r = 10
    # r = 20 * 0.06 = 1.2, k = 1: interpolate on the normal scale between t(1) and t(2)
    w = (norm.ppf(0.06) - norm.ppf(1 / 20)) / (norm.ppf(2 / 20) - norm.ppf(1 / 20))
    assert norm_inter(t, [0.06])[0] == pytest.approx(1.0 + w, abs=1e-14)
    # k = 0 -> smallest draw; k = R -> largest
    assert norm_inter(t, [0.01])[0] == 1.0
    assert norm_inter(t, [0.999])[0] == 19.0
    # non-finite draws are dropped
    assert norm_inter(np.r_[t, np.nan, np.inf], [0.5])[0] == 10.0


def test_percentile_and_bc_reduce_to_each_other_when_unbiased() -> None:
    rng = np.random.default_rng(0)
    t = rng.normal(size=1999)
    est = float(np.median(t))  # exactly half the draws below -> z0 = 0 -> BC == percentile
    t = np.r_[t[t < est], t[t > est]]  # drop the median draw itself: 999 below, 999 above
    np.testing.assert_allclose(bc_ci(t, est), percentile_ci(t), rtol=1e-14)


def test_bc_hand_worked() -> None:
    t = np.linspace(-1.0, 3.0, 401)
    est = 0.0  # share below = 100 / 401
    z0 = norm.ppf(100 / 401)
    a1, a2 = norm.cdf(2 * z0 + norm.ppf(0.025)), norm.cdf(2 * z0 + norm.ppf(0.975))
    np.testing.assert_allclose(bc_ci(t, est), norm_inter(t, [a1, a2]), rtol=1e-14)
    # all draws on one side: z0 = -inf -> both ends at the smallest draw
    lo, hi = bc_ci(t + 10, est)
    assert lo == hi == 9.0
    # constant draws -> (est, est), as lavaan
    np.testing.assert_array_equal(bc_ci(np.full(50, 2.0), 1.5), [1.5, 1.5])


def test_ci_columns_are_independent() -> None:
    rng = np.random.default_rng(1)
    D = rng.gamma(2.0, size=(500, 3))
    D[::7, 1] = np.nan  # a column with missing draws
    est = np.array([2.0, 1.5, 2.5])
    both = bc_ci(D, est)
    for j in range(3):
        np.testing.assert_allclose(both[j], bc_ci(D[:, j], est[j]), rtol=1e-14)
        np.testing.assert_allclose(percentile_ci(D)[j], percentile_ci(D[:, j]), rtol=1e-14)
    np.testing.assert_allclose(boot_se(D)[1], np.nanstd(D[:, 1], ddof=1))


@settings(max_examples=30, deadline=None)
@given(st.integers(20, 400), st.integers(0, 10_000), st.floats(0.5, 0.99))
def test_intervals_are_ordered_and_inside_the_draws(R: int, seed: int, level: float) -> None:
    t = np.random.default_rng(seed).standard_t(4, size=R)
    est = float(t[0])
    for lo, hi in (percentile_ci(t, level), bc_ci(t, est, level)):
        assert t.min() <= lo <= hi <= t.max()


def test_bad_level_and_method() -> None:
    with pytest.raises(SpecError):
        percentile_ci(np.arange(10.0), 1.5)


# ---------------------------------------------------------------- runners


def _arrays(d):
    return (d.theta, d.std, d.defined, d.defined_std, d.converged)


def test_runner_identical_across_processes_and_chunks() -> None:
    spec = toy_spec()
    ref = run_draws(spec, 450, n_jobs=1)
    for kw in ({"n_jobs": 2}, {"n_jobs": 2, "chunk": 37}, {"n_jobs": 1, "chunk": 1000}):
        other = run_draws(spec, 450, **kw)
        for a, b in zip(_arrays(ref), _arrays(other)):
            np.testing.assert_array_equal(a, b)
    # the first draws of a longer run are the draws of a shorter run
    longer = run_draws(spec, 600, n_jobs=2)
    np.testing.assert_array_equal(longer.theta[:450], ref.theta)


def test_runner_refits_match_direct_computation() -> None:
    spec = toy_spec()
    d = run_draws(spec, 20, n_jobs=1)
    idx = draw_indices(spec.seed, spec.X.shape[0], 0, 20)
    toy = ToyMediation()
    for b in range(20):
        th, _, _ = toy.fit_cov(np.cov(spec.X[idx[b]].T, ddof=0), spec.X.shape[0])
        np.testing.assert_allclose(d.theta[b], th, rtol=1e-9)
        np.testing.assert_allclose(d.defined_std[b], toy.defined(toy.standardized(th)), rtol=1e-9)


def test_progress_is_reported() -> None:
    seen: list[tuple[int, int]] = []
    run_draws(toy_spec(), 250, n_jobs=1, chunk=100, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(100, 250), (200, 250), (250, 250)]


def test_failures_are_counted_and_warned() -> None:
    spec = toy_spec()
    S0 = np.cov(spec.X.T, ddof=0)
    # fail the resamples whose var(x) is above the 90th percentile of draws: ~10 % failures
    probe = run_draws(spec, 300, n_jobs=1)
    cut = float(np.quantile(probe.theta[:, 3], 0.9))
    failing = RefitSpec(functools.partial(ToyMediation, cut), spec.X, spec.theta0, spec.seed)
    assert S0[0, 0] <= cut
    d = run_draws(failing, 300, n_jobs=2)
    bad = ~d.converged
    assert bad.sum() == int((probe.theta[:, 3] > cut).sum()) > 0
    assert np.all(np.isnan(d.theta[bad])) and np.all(np.isfinite(d.theta[~bad]))
    with pytest.warns(CbecWarning, match=r"failed to converge"):
        msgs = failure_warnings(d.converged)
    assert f"{int(bad.sum())} of 300" in msgs[0]
    # a small share is reported in the text but not warned
    conv = np.ones(1000, dtype=bool)
    conv[5] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "1 of 1000" in failure_warnings(conv)[0]


def test_dask_cluster_gives_the_local_result() -> None:
    cloudpickle = pytest.importorskip("cloudpickle")
    distributed = pytest.importorskip("distributed")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    spec = toy_spec()
    ref = run_draws(spec, 450, n_jobs=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        got = run_draws(spec, 450, scheduler=cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            got2 = run_draws(spec, 450, scheduler=client, chunk=64)
    for a, b, c in zip(_arrays(ref), _arrays(got), _arrays(got2)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_tqdm_progress_callback(capsys) -> None:
    from cbeclab.sem.bootstrap import tqdm_progress

    cb = tqdm_progress(250, file=sys.stderr, mininterval=0)
    run_draws(toy_spec(), 250, n_jobs=1, chunk=100, progress=cb)
    err = capsys.readouterr().err
    assert "250/250" in err
