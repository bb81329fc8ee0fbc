"""Survey workflow (seed 000): spec validation, input checks, the full run on the synthetic Yongkang survey.

The full run uses 200 bootstrap draws for speed; table numbers are compared with what the underlying
public functions of cbeclab.measure / cbeclab.sem return for the same data (no recomputation here).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cbeclab.errors import DataError, SpecError
from cbeclab.survey.checks import check_items
from cbeclab.survey.spec import SemExtrasSpec, load_survey_spec, survey_spec_from_dict
from cbeclab.survey.thresholds import load_thresholds, thresholds_for

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "yongkang" / "survey.yaml"


def _mini(**over: object) -> dict:
    raw: dict = {
        "data": {"path": "x.csv"},
        "constructs": {"A": {"items": ["a1", "a2", "a3"]}, "B": {"items": ["b1", "b2", "b3"]}},
        "model": {"paths": ["A -> B"]},
    }
    raw.update(over)
    return raw


# ------------------------------------------------------------------------------------------ spec


def test_example_spec_loads_and_writes_syntax() -> None:
    s = load_survey_spec(EXAMPLE)
    assert "SYNTHETIC" in (s.title_in("en") or "") and "合成" in (s.title_in("zh") or "")
    assert list(s.constructs) == ["F1", "F2", "F3", "M", "Y"]
    assert len(s.items) == 24
    assert s.bootstrap.draws == 5000 and s.bootstrap.ci == "bc"
    syn = s.full_syntax()
    assert "F1 =~ T11 + T12 + T13 + T14 + T15" in syn
    assert "Y ~ F1 + F2 + F3 + M" in syn
    assert s.resolve(s.data.path).is_file()


def test_paths_shorthand_groups_by_outcome() -> None:
    s = survey_spec_from_dict(
        _mini(model={"paths": ["A -> B", "B → A2"]})
        | {
            "constructs": {
                "A": {"items": ["a1", "a2"]},
                "B": {"items": ["b1", "b2"]},
                "A2": {"items": ["c1", "c2"]},
            }
        }
    )
    assert s.structural_syntax() == "B ~ A\nA2 ~ B"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"bootstrap": {"ci": "bca"}}, "bootstrap.ci"),
        ({"likert": [5, 1]}, "likert"),
        ({"model": {}}, "model"),
        ({"model": {"paths": ["A -> Z"]}}, "model"),
        ({"mediation": [{"x": "A", "m": "A", "y": "B"}]}, "mediation.0"),
        ({"constructs": {"A": {"items": ["a1"]}}}, "constructs.A.items"),
        ({"missing": "mean"}, "missing"),
        ({"thresholds": {"kmoo": 0.7}}, "thresholds"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_spec_errors_name_file_and_field(over: dict, field: str) -> None:
    with pytest.raises(SpecError) as ei:
        survey_spec_from_dict(_mini(**over), source="my.yaml")
    assert ei.value.where == "my.yaml"
    assert f"field {field}" in ei.value.message or field in ei.value.message


def test_spec_duplicate_item_and_unknown_construct_suggestion() -> None:
    raw = _mini(constructs={"A": {"items": ["a1", "a2"]}, "B": {"items": ["a2", "b2"]}})
    with pytest.raises(SpecError, match="listed under both"):
        survey_spec_from_dict(raw)
    with pytest.raises(SpecError, match="did you mean A"):
        survey_spec_from_dict(_mini(model={"paths": ["AA -> B"]}))


def test_load_spec_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not found"):
        load_survey_spec(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [\n", encoding="utf-8")
    with pytest.raises(SpecError, match="line"):
        load_survey_spec(bad)
    missing_model = tmp_path / "m.yaml"
    missing_model.write_text(yaml.safe_dump(_mini(model={"file": "absent.lav"})), encoding="utf-8")
    s = load_survey_spec(missing_model)
    with pytest.raises(SpecError, match="model.file"):
        s.structural_syntax()


def test_thresholds_have_sources_and_overrides() -> None:
    th = load_thresholds()
    for key in ("alpha", "cr", "ave", "kmo", "chisq_df", "rmsea", "gfi", "nfi", "cfi", "ifi", "htmt"):
        assert th[key].source
    assert th["alpha"].passes(0.7) and not th["alpha"].passes(0.69)
    assert th["rmsea"].passes(0.079) and not th["rmsea"].passes(0.08)
    assert th["cfi"].passes(None) is None
    assert thresholds_for({"kmo": 0.7})["kmo"].value == 0.7


# ------------------------------------------------------------------------------------------ checks


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(rng.integers(1, 6, size=(12, 4)), columns=["a1", "a2", "b1", "b2"])


def test_check_ok_and_reverse() -> None:
    df = _frame()
    out = check_items(df, ["a1", "a2", "b1", "b2"], likert=(1, 5), reverse=["b2"])
    assert out.n_used == 12 and out.n_dropped == 0
    assert np.array_equal(out.data["b2"].to_numpy(), 6 - df["b2"].to_numpy())


def test_check_absent_item_suggests_close_match() -> None:
    with pytest.raises(DataError, match=r"a3 \(close: a2, a1") as ei:
        check_items(_frame(), ["a1", "a3"], likert=(1, 5), source="f.csv")
    assert "f.csv" in str(ei.value)


def test_check_non_numeric_cell_names_row_and_column() -> None:
    df = _frame().astype(object)
    df.loc[3, "a2"] = "agree"
    with pytest.raises(DataError, match=r"row 5 \('agree'\)") as ei:
        check_items(df, ["a1", "a2"], likert=(1, 5), source="f.csv")
    assert ei.value.where == "f.csv: column a2"


def test_check_out_of_range_lists_rows() -> None:
    df = _frame()
    df.loc[[0, 7], "b1"] = [9, 0]
    with pytest.raises(DataError, match=r"rows 2, 9 \(values 0, 9\)") as ei:
        check_items(df, ["a1", "b1"], likert=(1, 5))
    assert ei.value.where is not None and "column b1" in ei.value.where


def test_check_missing_listwise_counts_and_error_mode() -> None:
    df = _frame().astype(float)
    df.loc[[2, 5], "a1"] = np.nan
    out = check_items(df, ["a1", "a2"], likert=(1, 5))
    assert out.n_dropped == 2 and out.dropped_rows == (4, 7) and out.n_used == 10
    assert "listwise" in out.notes[0]
    with pytest.raises(DataError, match="rows 4, 7"):
        check_items(df, ["a1", "a2"], likert=(1, 5), missing="error")
    df["a2"] = np.nan
    with pytest.raises(DataError, match="leaves no data"):
        check_items(df, ["a1", "a2"], likert=(1, 5))


def test_check_constant_item() -> None:
    df = _frame()
    df["a2"] = 3
    with pytest.raises(DataError, match="constant item") as ei:
        check_items(df, ["a1", "a2"], likert=(1, 5))
    assert ei.value.where is not None and "a2" in ei.value.where


def test_check_missing_markers_are_missing_not_text() -> None:
    df = _frame().astype(object)
    df.loc[1, "a1"] = "缺失"
    out = check_items(df, ["a1", "a2"], likert=(1, 5))
    assert out.n_dropped == 1 and math.isfinite(float(out.data["a1"].sum()))


# ------------------------------------------------------------------------------------------ full run

N_BOOT = 200


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    from cbeclab.survey.workflow import run_survey

    spec = load_survey_spec(EXAMPLE)
    spec = spec.model_copy(
        update={"bootstrap": spec.bootstrap.model_copy(update={"draws": N_BOOT, "n_jobs": 1})}
    )
    calls: list[tuple[int, int]] = []
    res = run_survey(spec, progress=lambda d, t: calls.append((d, t)))
    return spec, res, calls


EXPECTED = {
    "table1": [
        "Construct",
        "Item",
        "EFA loading",
        "Std. loading (CFA)",
        "Loading ≥ threshold",
        "Corrected item-total r",
        "Alpha if item deleted",
        "Cronbach's α",
        "α passes",
        "CR",
        "CR passes",
        "AVE",
        "AVE passes",
    ],
    "table2": ["Construct", "AVE", "√AVE", "F1", "F2", "F3", "M", "Y", "√AVE > correlations"],
    "table3": ["χ²/df", "RMSEA", "GFI", "NFI", "CFI", "IFI"],
    "table4": [
        "Hypothesis",
        "Path",
        "Estimate (unstd.)",
        "Std. estimate",
        "S.E.",
        "C.R.",
        "p",
        "Sig.",
        "Supported",
    ],
    "table5": [
        "Model",
        "Effect",
        "Estimate (unstd.)",
        "Std. estimate",
        "CI lower",
        "CI upper",
        "Share of total effect (%)",
        "Verdict",
        "Zhao et al. (2010) type",
    ],
    "descriptives": ["Construct", "Item", "n", "Mean", "SD", "Skewness", "Kurtosis"],
    "adequacy": ["Measure", "Value", "Threshold", "Passes", "Source of threshold"],
    "htmt": ["Construct", "F1", "Y", "Passes"],
}


def test_all_tables_with_expected_columns(run) -> None:  # type: ignore[no-untyped-def]
    _, res, calls = run
    tabs = res.tables("en")
    assert list(tabs)[:5] == ["table1", "table2", "table3", "table4", "table5"]
    for key, cols in EXPECTED.items():
        missing = [c for c in cols if c not in tabs[key].columns]
        assert not missing, (key, missing)
        assert len(tabs[key]) > 0, key
    assert len(tabs["table1"]) == 24 and len(tabs["table2"]) == 5 and len(tabs["table4"]) == 7
    assert len(tabs["table5"]) == 9  # three models x (indirect, direct, total)
    assert calls and calls[-1] == (N_BOOT, N_BOOT)
    assert any("SYNTHETIC" in w for w in res.warnings)


def test_zh_headers(run) -> None:  # type: ignore[no-untyped-def]
    _, res, _ = run
    tabs = res.tables("zh")
    assert "标准化载荷（CFA）" in tabs["table1"].columns
    assert "临界比C.R." in tabs["table4"].columns
    assert tabs["table3"].iloc[0, 0] == "模型指标值"


def test_table_numbers_equal_public_functions(run) -> None:  # type: ignore[no-untyped-def]
    from cbeclab.datasets.survey import synthetic_yongkang_survey
    from cbeclab.measure.alpha import cronbach_alpha
    from cbeclab.measure.kmo import kmo
    from cbeclab.measure.reliability import composite_reliability
    from cbeclab.measure.validity import fornell_larcker, htmt
    from cbeclab.sem.model import Model

    spec, res, _ = run
    X = synthetic_yongkang_survey(n=233, seed=0).astype(float)  # the example CSV was written from this call
    assert np.allclose(res.checked.data.to_numpy(), X.to_numpy())
    t1 = res.tables("en")["table1"].set_index("Item")
    for cs in spec.constructs.values():
        a = cronbach_alpha(X[list(cs.items)])
        first = next(iter(cs.items))
        assert t1.loc[first, "Cronbach's α"] == a.raw_alpha
        for item in cs.items:
            assert t1.loc[item, "Corrected item-total r"] == a.item_stats.loc[item, "r_drop"]
    cfa = Model(spec.measurement_syntax()).fit(X)
    lam = cfa.params[cfa.params["op"] == "=~"]
    for r in lam.itertuples():
        assert t1.loc[r.rhs, "Std. loading (CFA)"] == pytest.approx(r.std_all, abs=1e-10)
    rel = composite_reliability({c: lam.loc[lam["lhs"] == c, "std_all"].to_numpy() for c in spec.constructs})
    for c, cs in spec.constructs.items():
        first = next(iter(cs.items))
        assert t1.loc[first, "CR"] == pytest.approx(rel.table.loc[c, "cr"], abs=1e-10)
        assert t1.loc[first, "AVE"] == pytest.approx(rel.table.loc[c, "ave"], abs=1e-10)
    t2 = res.tables("en")["table2"].set_index("Construct")
    fl = res.fornell_larcker
    assert fl.table.loc["Y", "F2"] == pytest.approx(t2.loc["Y", "F2"], abs=0)
    assert t2.loc["F1", "F1"] == pytest.approx(np.sqrt(rel.table.loc["F1", "ave"]), abs=1e-10)
    ref_fl = fornell_larcker(res.latent_corr, ave=dict(rel.table["ave"]))
    assert np.allclose(ref_fl.table.to_numpy(), fl.table.to_numpy(), equal_nan=True, atol=1e-10)
    ht = htmt(X, {c: list(cs.items) for c, cs in spec.constructs.items()})
    assert res.tables("en")["htmt"].set_index("Construct").loc["Y", "M"] == pytest.approx(
        ht.matrix.loc["Y", "M"]
    )
    assert res.tables("en")["adequacy"]["Value"].iloc[0] == kmo(X).overall
    sem = Model(spec.full_syntax()).fit(X)
    fm = sem.fit_measures()
    t3 = res.tables("en")["table3"]
    for key, name in (("rmsea", "RMSEA"), ("cfi", "CFI"), ("gfi", "GFI"), ("nfi", "NFI"), ("ifi", "IFI")):
        assert t3.loc[0, name] == pytest.approx(fm[key], abs=1e-10)
    t4 = res.tables("en")["table4"].set_index("Path")
    for r in sem.params[sem.params["op"] == "~"].itertuples():
        row = t4.loc[f"{r.rhs} → {r.lhs}"]
        assert row["Estimate (unstd.)"] == pytest.approx(r.est, abs=1e-10)
        assert row["C.R."] == pytest.approx(r.z, abs=1e-10)
        assert row["p"] == pytest.approx(r.pvalue, abs=1e-12)


def test_threshold_columns_follow_values(run) -> None:  # type: ignore[no-untyped-def]
    _, res, _ = run
    t1 = res.tables("en")["table1"]
    firsts = t1[t1["Construct"] != ""]
    for v, ok in zip(firsts["AVE"], firsts["AVE passes"]):
        assert ok == ("yes" if v >= 0.5 else "no")
    t3 = res.tables("en")["table3"]
    assert t3.loc[2, "RMSEA"] == ("yes" if t3.loc[0, "RMSEA"] < 0.08 else "no")


def test_to_dict_is_json_safe(run) -> None:  # type: ignore[no-untyped-def]
    import json

    _, res, _ = run
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert "table5" in d["tables"] and d["data"]["n_used"] == 233
    assert "SYNTHETIC" in text


def test_listwise_count_reported_in_run(tmp_path: Path) -> None:
    from cbeclab.datasets.survey import synthetic_yongkang_survey
    from cbeclab.survey.workflow import run_survey

    spec = load_survey_spec(EXAMPLE)
    spec = spec.model_copy(update={"mediation": [], "efa": spec.efa.model_copy(update={"enabled": False})})
    spec = _items_only(spec)  # the generated frame has no background columns
    df = synthetic_yongkang_survey(n=233, seed=0).astype(float)
    df.iloc[[3, 10, 11], 2] = np.nan
    res = run_survey(spec, data=df)
    assert res.checked.n_dropped == 3 and res.checked.n_used == 230
    assert any("listwise deletion removed 3" in w for w in res.warnings)
    tabs = res.tables("en")
    assert len(tabs["table5"]) == 0 and len(tabs["efa"]) == 0 and "EFA loading" not in tabs["table1"].columns
    assert res.bootstrap is None and res.boot_info["n_boot"] == 0
    from cbeclab.survey.report import write_survey_outputs

    paths = write_survey_outputs(res, tmp_path, "en")
    html = paths["html"].read_text(encoding="utf-8")
    assert 'Dropped listwise (missing answers)</td><td class="txt">3<' in html and "Table 5" in html


def _synthetic() -> pd.DataFrame:
    from cbeclab.datasets.survey import synthetic_yongkang_survey

    return synthetic_yongkang_survey(n=233, seed=0)


def _spec_with(paths: list[str], mediation: list[dict]) -> object:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["model"] = {"paths": paths}
    raw["mediation"] = mediation
    raw["hypotheses"] = {}
    raw["bootstrap"] = {"draws": 60, "n_jobs": 1}
    for key in ("sem", "profile"):  # background columns the generated frames do not have
        raw.pop(key, None)
    return survey_spec_from_dict(raw, base_dir=EXAMPLE.parent, source="t.yaml")


def _items_only(spec: Any) -> Any:
    """The example spec without its background-column checks (profile, invariance), for runs on
    generated frames that hold the items only."""
    return spec.model_copy(update={"sem": SemExtrasSpec(), "profile": []})


@pytest.mark.parametrize(
    ("kind", "paths", "n_specific"),
    [
        ("parallel", ["F1 -> F3", "F1 -> M", "F3 -> Y", "M -> Y", "F1 -> Y"], 2),
        ("serial", ["F1 -> F3", "F3 -> M", "F1 -> M", "M -> Y", "F1 -> Y", "F3 -> Y"], 3),
    ],
)
def test_parallel_and_serial_mediation(kind: str, paths: list[str], n_specific: int) -> None:
    from cbeclab.survey.workflow import run_survey

    spec = _spec_with(paths, [{"x": "F1", "m": ["F3", "M"], "y": "Y", "kind": kind}])
    res = run_survey(spec, data=_synthetic())
    t5 = res.tables("en")["table5"]
    spec_rows = t5[t5["Effect"].str.startswith("Specific indirect")]
    assert len(spec_rows) == n_specific
    assert len(t5) == n_specific + 3
    eff = res.mediation[0].effects
    ind = eff[(eff["effect"] == "indirect") & ~eff["specific"]].iloc[0]
    assert t5["Estimate (unstd.)"].iloc[0] == ind["est"] and t5["CI upper"].iloc[0] == ind["ci_upper"]


def test_mediation_needs_its_paths() -> None:
    from cbeclab.survey.workflow import run_survey

    spec = _spec_with(["F1 -> M", "F1 -> Y"], [{"x": "F1", "m": "M", "y": "Y"}])
    with pytest.raises(SpecError, match="M -> Y") as ei:
        run_survey(spec, data=_synthetic())
    assert ei.value.where == "t.yaml: field mediation.0"


def test_unreachable_scheduler_is_a_spec_error() -> None:
    from cbeclab.survey.workflow import run_survey

    spec = _spec_with(["F1 -> M", "M -> Y", "F1 -> Y"], [{"x": "F1", "m": "M", "y": "Y"}])
    spec = spec.model_copy(update={"scheduler": "tcp://127.0.0.1:9"})  # type: ignore[attr-defined]
    pytest.importorskip("distributed")  # load its config defaults before overriding one of them
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(SpecError, match="cannot reach the Dask scheduler"):
            run_survey(spec, data=_synthetic())  # type: ignore[arg-type]


def test_dask_scheduler_gives_the_local_draws() -> None:
    distributed = pytest.importorskip("distributed")
    from cbeclab.survey.workflow import run_survey

    spec = _spec_with(["F1 -> M", "M -> Y", "F1 -> Y"], [{"x": "F1", "m": "M", "y": "Y"}])
    X = _synthetic()
    local = run_survey(spec, data=X)  # type: ignore[arg-type]
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        remote = run_survey(spec.model_copy(update={"scheduler": cluster.scheduler_address}), data=X)  # type: ignore[attr-defined]
    a, b = local.tables("en")["table5"], remote.tables("en")["table5"]
    for col in ("CI lower", "CI upper", "Bootstrap S.E."):
        assert np.allclose(a[col].to_numpy(dtype=float), b[col].to_numpy(dtype=float), atol=1e-12, rtol=0)


@given(
    st.integers(min_value=3, max_value=40),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from([(1, 5), (1, 7), (0, 10)]),
)
@settings(max_examples=40, deadline=None)
def test_check_property_in_range_passes_out_of_range_fails(
    n: int, seed: int, likert: tuple[int, int]
) -> None:
    lo, hi = likert
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.integers(lo, hi + 1, size=(n, 3)), columns=["q1", "q2", "q3"])
    df.iloc[0] = [lo, lo, lo]
    df.iloc[1] = [hi, hi, hi]  # no constant item
    out = check_items(df, ["q1", "q2", "q3"], likert=(lo, hi), reverse=["q3"])
    assert out.n_used == n and out.n_dropped == 0
    assert np.array_equal(out.data["q3"].to_numpy(), lo + hi - df["q3"].to_numpy())
    row = int(rng.integers(0, n))
    df.iloc[row, 1] = hi + 1
    with pytest.raises(DataError, match=f"rows {row + 2}"):
        check_items(df, ["q1", "q2", "q3"], likert=(lo, hi))


def test_chinese_headers_via_column_and_ascii_ids() -> None:
    df = _frame().rename(columns={"a1": "题1", "a2": "题2"})
    out = check_items(df, ["a1", "a2"], likert=(1, 5), columns={"a1": "题1", "a2": "题2"})
    assert list(out.data.columns) == ["a1", "a2"]
    bad = df.astype(object)
    bad.loc[0, "题2"] = "x"
    with pytest.raises(DataError) as ei:
        check_items(bad, ["a1", "a2"], likert=(1, 5), columns={"a1": "题1", "a2": "题2"}, source="f.csv")
    assert ei.value.where == "f.csv: column 题2"
    s = survey_spec_from_dict(
        _mini(constructs={"A": {"items": {"q1": {"column": "题1"}, "q2": {}}}, "B": {"items": ["b1", "b2"]}})
    )
    assert s.item_columns == {"q1": "题1", "q2": "q2", "b1": "b1", "b2": "b2"}
    with pytest.raises(SpecError, match="ASCII"):
        survey_spec_from_dict(
            _mini(constructs={"企业": {"items": ["a1", "a2"]}, "B": {"items": ["b1", "b2"]}})
        )


def test_fiml_in_survey_run_keeps_incomplete_rows() -> None:
    """``missing: ml`` fits CFA and SEM by FIML on every row; the same fit as Model(...).fit directly."""
    from cbeclab.datasets.survey import synthetic_yongkang_survey
    from cbeclab.sem import Model
    from cbeclab.survey.workflow import run_survey

    spec = load_survey_spec(EXAMPLE)
    spec = spec.model_copy(
        update={
            "mediation": [],
            "efa": spec.efa.model_copy(update={"enabled": False}),
            "missing": "ml",
            "estimator": "MLR",
            "sem": SemExtrasSpec(),
            "profile": [],
        }
    )
    df = synthetic_yongkang_survey(n=233, seed=0).astype(float)
    df.iloc[[3, 10, 11], 2] = np.nan
    res = run_survey(spec, data=df)
    assert res.sem.nobs == 233 and res.sem.missing == "ml" and res.sem.estimator == "MLR"
    assert any("full-information ML (missing = ml) on 233 rows" in w for w in res.warnings)
    direct = Model(spec.full_syntax()).fit(df, missing="ml", estimator="MLR")
    assert abs(direct.fit_measures()["chisq"] - res.sem.fit_measures()["chisq"]) < 1e-6
