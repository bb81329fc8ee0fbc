"""Issue 12: SPSSAU's documented conventions as options (``compat="spssau"``), each worked by hand.

Sources of the conventions: SPSSAU help pages ahp, entropy, critic, entropy_topsis, grey (docs/reconcile.md).
The arithmetic is written out in each test with the standard library only (``math``, ``statistics``),
independently of the numpy code under test.
"""

from __future__ import annotations

import math
import statistics as st

import pandas as pd
import pytest

from cbeclab.compat import preset, resolve
from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate.grey import grey_relational
from cbeclab.evaluate.topsis import topsis
from cbeclab.evaluate.weights import compute_weights
from cbeclab.evaluate.weights.ahp import ahp


def _entropy_weights_by_hand(cols: dict[str, list[float]]) -> dict[str, float]:
    m = len(next(iter(cols.values())))
    d = {}
    for k, x in cols.items():
        p = [v / sum(x) for v in x]
        e = -sum(q * math.log(q) for q in p if q > 0) / math.log(m)
        d[k] = 1 - e
    return {k: v / sum(d.values()) for k, v in d.items()}


def test_ahp_sum_product_by_hand() -> None:
    A = {
        "a": {"a": 1, "b": 2, "c": 5},
        "b": {"a": 1 / 2, "b": 1, "c": 3},
        "c": {"a": 1 / 5, "b": 1 / 3, "c": 1},
    }
    # column sums 1.7, 10/3, 9; normalised columns; row means
    w1 = (1 / 1.7 + 2 / (10 / 3) + 5 / 9) / 3  # (0.588235 + 0.6 + 0.555556) / 3 = 0.581264
    w2 = (0.5 / 1.7 + 1 / (10 / 3) + 3 / 9) / 3  # (0.294118 + 0.3 + 0.333333) / 3 = 0.309150
    w3 = (0.2 / 1.7 + (1 / 3) / (10 / 3) + 1 / 9) / 3  # (0.117647 + 0.1 + 0.111111) / 3 = 0.109586
    aw = [w1 + 2 * w2 + 5 * w3, w1 / 2 + w2 + 3 * w3, w1 / 5 + w2 / 3 + w3]
    lam = (aw[0] / w1 + aw[1] / w2 + aw[2] / w3) / 3  # (3.006372 + 3.003524 + 3.001193) / 3 = 3.003696
    ci = (lam - 3) / 2  # 0.001848
    cr = ci / 0.58  # RI(3) = 0.58 (Saaty) -> 0.003186
    r = ahp(A, method="sum_product")
    assert list(r.weights) == pytest.approx([w1, w2, w3], abs=1e-12)
    assert [round(v, 6) for v in (w1, w2, w3)] == [0.581264, 0.30915, 0.109586]
    assert r.lambda_max == pytest.approx(lam, abs=1e-12) and round(lam, 6) == 3.003696
    assert r.ci == pytest.approx(ci) and r.cr == pytest.approx(cr) and round(cr, 6) == 0.003186
    assert ahp(A, compat="spssau").method == "sum_product"
    assert ahp(A).method == "eigen"  # cbeclab's default is unchanged
    assert ahp(A, method="geometric", compat="spssau").method == "geometric"  # explicit wins


def test_entropy_spssau_raw_with_nonpositive_shift() -> None:
    X = pd.DataFrame({"a": [-1.0, 2.0, 0.0], "b": [1.0, 3.0, 2.0]})
    # a has a value <= 0: a + |-1| + 0.01 = 0.01, 3.01, 1.01; b (all > 0) is left as it is
    want = _entropy_weights_by_hand({"a": [0.01, 3.01, 1.01], "b": [1.0, 3.0, 2.0]})
    got = compute_weights(X, {"a": 1, "b": 1}, "entropy", compat="spssau").table.iloc[0]
    assert got.to_dict() == pytest.approx(want, abs=1e-12)
    explicit = compute_weights(X, {"a": 1, "b": 1}, standardize=False, shift="nonpositive_only")
    assert explicit.table.iloc[0].to_dict() == pytest.approx(want, abs=1e-12)
    # min-max first: every column then has min 0, so every column gets + 0.01 (= a plain shift of 0.01)
    mm = compute_weights(X, {"a": 1, "b": 1}, shift="nonpositive_only").table.iloc[0]
    assert mm.to_dict() == pytest.approx(
        compute_weights(X, {"a": 1, "b": 1}, shift=0.01).table.iloc[0].to_dict()
    )
    with pytest.raises(DataError, match="negative"):
        compute_weights(X, {"a": 1, "b": 1}, standardize=False)
    with pytest.raises(SpecError, match="cost indicator"):
        compute_weights(X, {"a": 1, "b": -1}, compat="spssau")
    with pytest.raises(SpecError):
        compute_weights(X, {"a": 1, "b": 1}, shift="all")


def test_critic_on_values_as_given_by_hand() -> None:
    cols = {"a": [1.0, 2.0, 3.0, 5.0], "b": [4.0, 1.0, 3.0, 2.0], "c": [2.0, 2.0, 6.0, 4.0]}
    sd = {k: st.stdev(v) for k, v in cols.items()}  # a: sqrt(8.75 / 3) = 1.707825
    assert sd["a"] == pytest.approx(math.sqrt(8.75 / 3))
    info = {k: sd[k] * sum(1 - st.correlation(cols[k], cols[j]) for j in cols) for k in cols}
    want = {k: v / sum(info.values()) for k, v in info.items()}
    got = compute_weights(pd.DataFrame(cols), {"a": 1, "b": 1, "c": 1}, "critic", compat="spssau")
    assert got.table.iloc[0].to_dict() == pytest.approx(want, abs=1e-12)
    # and min-max (cbeclab's default) gives other weights on the same data
    mm = compute_weights(pd.DataFrame(cols), {"a": 1, "b": 1, "c": 1}, "critic").table.iloc[0].to_dict()
    assert mm != pytest.approx(want, abs=1e-3)


def test_topsis_on_values_as_given_by_hand() -> None:
    X = pd.DataFrame({"a": [3.0, 4.0, 0.0], "b": [4.0, 3.0, 5.0]})
    # equal weights: v = x / 2 = (1.5, 2), (2, 1.5), (0, 2.5); ideal (max a, min b) = (2, 1.5),
    # anti-ideal (0, 2.5); row 1: D+ = sqrt(0.25 + 0.25), D- = sqrt(2.25 + 0.25)
    d_plus, d_minus = math.sqrt(0.5), math.sqrt(2.5)
    r = topsis(X, {"a": 1, "b": -1}, "equal", standardize=False)
    assert r.table["closeness"].tolist() == pytest.approx([d_minus / (d_plus + d_minus), 1.0, 0.0])
    assert round(d_minus / (d_plus + d_minus), 6) == 0.690983
    assert r.normalize_method == "none"


def test_grey_mean_and_initial_scaling_by_hand() -> None:
    X = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x1": [2.0, 4.0, 5.0], "x2": [3.0, 1.0, 2.0]})
    d = {"y": 1, "x1": 1, "x2": 1}
    # mean scaling: y / 2 = .5, 1, 1.5; x1 / (11/3) = .545455, 1.090909, 1.363636; x2 / 2 = 1.5, .5, 1
    y = [0.5, 1.0, 1.5]
    x1 = [v / (11 / 3) for v in (2.0, 4.0, 5.0)]
    x2 = [1.5, 0.5, 1.0]
    d1 = [abs(a - b) for a, b in zip(y, x1)]  # .045455, .090909, .136364
    d2 = [abs(a - b) for a, b in zip(y, x2)]  # 1, .5, .5
    lo, hi = min(d1 + d2), max(d1 + d2)
    g1 = sum((lo + 0.5 * hi) / (v + 0.5 * hi) for v in d1) / 3  # (1 + .923077 + .857143) / 3 = .926740
    g2 = sum((lo + 0.5 * hi) / (v + 0.5 * hi) for v in d2) / 3  # (.363636 + .545455 * 2) / 3 = .484848
    r = grey_relational(X, d, reference="y", scaling="mean", compat="spssau")
    assert r.grades["grade"].tolist() == pytest.approx([g1, g2], abs=1e-12)
    assert [round(g1, 6), round(g2, 6)] == [0.92674, 0.484848]
    # initial scaling: y / 1, x1 / 2 = 1, 2, 2.5, x2 / 3 = 1, 1/3, 2/3; Delta_min = 0, rho Delta_max = 7/6
    r2 = grey_relational(X, d, reference="y", scaling="initial")
    g1i = (1 + 1 + (7 / 6) / (0.5 + 7 / 6)) / 3  # (1 + 1 + 0.7) / 3 = 0.9
    g2i = (1 + (7 / 6) / (5 / 3 + 7 / 6) + (7 / 6) / (7 / 3 + 7 / 6)) / 3  # (1 + .411765 + .333333) / 3
    assert r2.grades["grade"].tolist() == pytest.approx([g1i, g2i], abs=1e-12)
    assert r2.scaling == "initial" and r.scaling == "mean"
    with pytest.raises(SpecError):
        grey_relational(X, d, reference="y", scaling="mean", standardize=True)
    # compat spssau without a scaling: the values as given (no dimensionless step)
    raw = grey_relational(X, d, reference="y", compat="spssau")
    assert raw.scaling == "none"


def test_presets_are_one_table() -> None:
    assert preset("gm11", "spssau") == {"on_ratio_fail": "shift", "horizon": 12}
    assert preset("ahp", None) == {}
    assert resolve("critic", "spssau", {"standardize": True}, standardize=True) == {"standardize": True}
    with pytest.raises(SpecError):
        preset("ahp", "spss")


def test_spec_level_compat_reaches_every_method() -> None:
    from cbeclab.examples import demo_spec
    from cbeclab.pipeline import run_spec
    from cbeclab.spec import spec_from_dict

    raw = demo_spec().model_dump(exclude={"base_dir"})
    raw["weights"] = {"method": "entropy"}  # the demo's raw exports are positive: entropy runs as given
    raw["compat"] = "spssau"
    raw["forecast"] = {"enabled": True}  # no explicit horizon: the preset's 12 applies
    res = run_spec(spec_from_dict(raw))
    fc = res.forecasts["synergy"]
    assert fc.h == 12 and (fc.params["status"] == "ok").all()
    assert res.spec.compat_for("coupling") == "spssau"
    assert any("0.01, 0.99" in n for n in res.notes)  # coupling's interval rescaling
    per_section = spec_from_dict({**raw, "compat": None, "forecast": {"compat": "spssau"}})
    assert per_section.compat_for("forecast") == "spssau" and per_section.compat_for("weights") is None


def test_cli_weights_and_synergy_take_compat(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from cbeclab.cli import main

    X = pd.DataFrame({"entity": ["e"] * 3, "period": [1, 2, 3], "a": [-1.0, 2.0, 0.0], "b": [1.0, 3.0, 2.0]})
    path = tmp_path / "w.csv"
    X.to_csv(path, index=False)
    out = tmp_path / "w.json"
    r = CliRunner().invoke(main, ["weights", str(path), "--compat", "spssau", "--out", str(out)])
    assert r.exit_code == 0, r.output
    got = {row["indicator"]: row["weight"] for row in pd.read_json(out).to_dict("records")}
    want = _entropy_weights_by_hand({"a": [0.01, 3.01, 1.01], "b": [1.0, 3.0, 2.0]})
    assert got == pytest.approx(want, abs=1e-9)
    bad = CliRunner().invoke(main, ["weights", str(path), "--no-standardize"])
    assert bad.exit_code != 0 and "negative" in bad.output and "Traceback" not in bad.output
    syn = CliRunner().invoke(
        main, ["synergy", str(path), "--subsystem", "A=a", "--subsystem", "B=b", "--compat", "spssau"]
    )
    assert syn.exit_code == 0, syn.output


def test_combined_weights_pass_the_preset_on() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0], "c": [2.0, 2.5, 5.0]})
    d = {"a": 1, "b": 1, "c": 1}
    A = {
        "a": {"a": 1, "b": 2, "c": 5},
        "b": {"a": 1 / 2, "b": 1, "c": 3},
        "c": {"a": 1 / 5, "b": 1 / 3, "c": 1},
    }
    combine = {"subjective": "ahp", "objective": "entropy", "rule": "multiplicative"}
    got = compute_weights(X, d, "combined", combine=combine, ahp_matrix=A, compat="spssau").table.iloc[0]
    ws = ahp(A, method="sum_product").weights
    wo = compute_weights(X, d, "entropy", standardize=False, shift="nonpositive_only").table.iloc[0]
    prod = ws * wo  # multiplicative rule: w = ws wo / sum(ws wo)
    assert got.to_dict() == pytest.approx((prod / prod.sum()).to_dict(), abs=1e-12)
