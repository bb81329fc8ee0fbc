"""Mediation pieces that need no fitted model: syntax, chains, effect algebra, Sobel, verdicts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbeclab.errors import ModelError, SpecError
from cbeclab.sem.mediation import (
    Chain,
    build_effects,
    effect_gradient,
    effect_values,
    eval_defined,
    excludes_zero,
    find_chains,
    mediation_syntax,
    seed_verdict,
    sobel_se,
    zlc_typology,
)


def reg_table(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """Parameter table with regressions ``lhs ~ rhs`` (plus a variance row that must be ignored)."""
    recs = [{"lhs": lhs, "op": "~", "rhs": rhs, "label": ""} for lhs, rhs in rows]
    recs.insert(1, {"lhs": "y", "op": "~~", "rhs": "y", "label": ""})
    return pd.DataFrame(recs)


def test_syntax_simple_parallel_serial() -> None:
    assert mediation_syntax("x", "m", "y").splitlines() == [
        "m ~ a*x",
        "y ~ b*m + c*x",
        "ind := a*b",
        "direct := c",
        "total := c + a*b",
    ]
    par = mediation_syntax("x", ["m1", "m2"], "y", kind="parallel")
    assert "ind := a1*b1 + a2*b2" in par and "total := c + a1*b1 + a2*b2" in par
    ser = mediation_syntax("x", ["m1", "m2"], "y", kind="serial")
    assert "m2 ~ a2*x + d21*m1" in ser
    assert "ind12 := a1*d21*b2" in ser
    assert "total := c + a1*b1 + a2*b2 + a1*d21*b2" in ser
    multi = mediation_syntax(["F1", "F2"], "M", "Y", covariates=["age"])
    assert "M ~ a1*F1 + a2*F2 + age" in multi and "total2 := c2 + a2*b" in multi


def test_syntax_rejects_bad_designs() -> None:
    with pytest.raises(SpecError):
        mediation_syntax("x", ["m1", "m2"], "y")  # simple with two mediators
    with pytest.raises(SpecError):
        mediation_syntax("x", "x", "y")
    with pytest.raises(SpecError):
        mediation_syntax("x", "m", "y", kind="diagonal")  # type: ignore[arg-type]


def test_find_chains_serial() -> None:
    edges = [("x", "m1"), ("x", "m2"), ("m1", "m2"), ("m1", "y"), ("m2", "y"), ("x", "y")]
    got = sorted(find_chains(edges, "x", "y"))
    assert got == sorted([("x", "m1", "y"), ("x", "m2", "y"), ("x", "m1", "m2", "y"), ("x", "y")])
    assert sorted(find_chains(edges, "x", "y", mediators=["m1"])) == [("x", "m1", "y"), ("x", "y")]


def test_build_effects_seed000_structure() -> None:
    rows = [("M", "F1"), ("M", "F2"), ("M", "F3"), ("Y", "F1"), ("Y", "F2"), ("Y", "F3"), ("Y", "M")]
    eff = build_effects(reg_table(rows))
    assert [(e.x, e.effect) for e in eff] == [
        (x, k) for x in ("F1", "F2", "F3") for k in ("indirect", "direct", "total")
    ]
    coef = np.array([0.2, 0.4, 0.3, 0.1, 0.35, 0.25, 0.5])  # order of the ~ rows
    vals = effect_values(eff, coef)
    np.testing.assert_allclose(vals[:3], [0.2 * 0.5, 0.1, 0.1 + 0.2 * 0.5])
    np.testing.assert_allclose(vals[6:], [0.3 * 0.5, 0.25, 0.25 + 0.15])
    # vectorised over draws
    draws = np.vstack([coef, 2 * coef])
    np.testing.assert_allclose(effect_values(eff, draws)[1, 0], 4 * 0.2 * 0.5)


def test_build_effects_errors() -> None:
    with pytest.raises(ModelError):
        build_effects(reg_table([("y", "x")]))  # no mediator
    with pytest.raises(SpecError):
        build_effects(reg_table([("m", "x"), ("y", "m")]), x="nope")


def test_no_direct_path_gives_zero_direct_effect() -> None:
    eff = build_effects(reg_table([("m", "x"), ("y", "m")]))
    vals = effect_values(eff, np.array([0.5, 0.4]))
    np.testing.assert_allclose(vals, [0.2, 0.0, 0.2])


@given(st.lists(st.floats(-3, 3), min_size=6, max_size=6))
def test_gradient_matches_finite_differences(c: list[float]) -> None:
    rows = [("m1", "x"), ("m2", "x"), ("m2", "m1"), ("y", "m1"), ("y", "m2"), ("y", "x")]
    eff = build_effects(reg_table(rows))
    coef = np.array(c)
    G = effect_gradient(eff, coef)
    h = 1e-6
    for r in range(coef.size):
        e = np.zeros_like(coef)
        e[r] = h
        fd = (effect_values(eff, coef + e) - effect_values(eff, coef - e)) / (2 * h)
        np.testing.assert_allclose(G[:, r], fd, atol=1e-6)


def test_sobel_hand_worked() -> None:
    # a = 0.4 (se 0.1), b = 0.5 (se 0.2): se = sqrt(0.5^2 0.1^2 + 0.4^2 0.2^2) = sqrt(0.0025 + 0.0064)
    ch = Chain(("x", "m", "y"), (0, 1))
    assert sobel_se(np.array([0.4, 0.5]), np.array([0.1, 0.2]), ch) == pytest.approx(math.sqrt(0.0089))
    # three links: (b c sa)^2 + (a c sb)^2 + (a b sc)^2
    ch3 = Chain(("x", "m1", "m2", "y"), (0, 1, 2))
    want = math.sqrt((0.5 * 2 * 0.1) ** 2 + (0.4 * 2 * 0.2) ** 2 + (0.4 * 0.5 * 0.3) ** 2)
    assert sobel_se(np.array([0.4, 0.5, 2.0]), np.array([0.1, 0.2, 0.3]), ch3) == pytest.approx(want)


@pytest.mark.parametrize(
    ("ind_ci", "dir_ci", "ind", "dire", "verdict", "typ"),
    [
        ((0.039, 0.221), (0.191, 0.621), 0.109, 0.36, "partial", "complementary"),  # seed 000, F2
        ((0.01, 0.126), (-0.005, 0.192), 0.06, 0.09, "full", "indirect-only"),  # seed 000, F1
        ((-0.02, 0.1), (0.1, 0.3), 0.04, 0.2, "none", "direct-only"),
        ((-0.02, 0.1), (-0.1, 0.3), 0.04, 0.1, "none", "no-effect"),
        ((0.05, 0.2), (-0.4, -0.1), 0.1, -0.25, "partial", "competitive"),
    ],
)
def test_verdicts(ind_ci, dir_ci, ind, dire, verdict, typ) -> None:
    i_sig, d_sig = excludes_zero(*ind_ci), excludes_zero(*dir_ci)
    assert seed_verdict(i_sig, d_sig) == verdict
    assert zlc_typology(i_sig, d_sig, ind, dire) == typ


def test_excludes_zero_edges() -> None:
    assert not excludes_zero(0.0, 0.3)
    assert excludes_zero(-0.3, -0.01)
    assert not excludes_zero(float("nan"), 1.0)


def test_eval_defined() -> None:
    vals = {"a": np.array([1.0, 2.0]), "b": 3.0, "c": 0.5}
    np.testing.assert_allclose(eval_defined("c + a*b", vals), [3.5, 6.5])
    np.testing.assert_allclose(eval_defined("(a*b) - c^2", vals), [2.75, 5.75])
    with pytest.raises(SpecError):
        eval_defined("__import__('os')", vals)
    with pytest.raises(SpecError):
        eval_defined("a*z", vals)
