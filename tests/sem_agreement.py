"""The agreement matrix of issue 10: every estimator / option against its lavaan 0.6-14 fixture.

Test helper (not collected): :func:`fit_cases` fits each case of ``tests/fixtures/sem_*.json``
and :func:`diffs` returns the largest absolute differences on est, se, std.all and the fit
measures.  ``tests/test_sem_matrix.py`` asserts them; ``python tests/sem_agreement.py`` prints the
feature x data set table of ``docs/sem-estimators.md``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.datasets.classic import holzinger_swineford, political_democracy
from cbeclab.sem import Model

FIX = Path(__file__).parent / "fixtures"
DATA: dict[str, Callable[[], pd.DataFrame]] = {
    "hs": holzinger_swineford,
    "pd": political_democracy,
    "hsm": lambda: pd.read_csv(FIX / "sem_hs_missing.csv"),
    "lk": lambda: pd.read_csv(FIX / "sem_likert_missing.csv"),
}
#: fit measures compared relatively (they scale with n)
RELATIVE = {"chisq", "baseline_chisq", "logl", "unrestricted_logl", "aic", "bic", "bic2", "cn_05", "cn_01"}
RELATIVE |= {"chisq_scaled", "baseline_chisq_scaled"}


#: the options of issue 10 -> the fixture features that check them (each needs >= 2 data sets)
ISSUE_FEATURES: dict[str, tuple[str, ...]] = {
    "ML": ("ML",),
    "MLR": ("MLR", "MLR with covariates"),
    "MLM": ("MLM",),
    "FIML ml": ("FIML ml", "FIML ml (covariate)"),
    "FIML ml.x": ("FIML ml.x", "MLR + FIML ml.x"),
    "MLR + FIML": ("MLR + FIML", "MLR + FIML ml.x"),
    "meanstructure / intercepts": ("meanstructure",),
    "latent means": ("latent means",),
    "multigroup": ("multigroup ML", "multigroup MLR", "multigroup MLR + FIML", "multigroup MLM"),
    "multigroup MLM": ("multigroup MLM",),
    "multigroup MLR": ("multigroup MLR", "multigroup MLR + FIML"),
    "group.equal loadings/intercepts/residuals": ("group.equal loadings/intercepts/residuals",),
    "group.equal means": ("group.equal means",),
    "group.equal lv.variances/lv.covariances": ("group.equal lv.variances/lv.covariances",),
    "group.equal residual.covariances": (
        "group.equal residuals/residual.covariances",
        "group.equal lv.variances/lv.covariances",
    ),
    "group.equal regressions": ("group.equal regressions",),
    "fixed.x = FALSE robust baseline": ("fixed.x = FALSE robust baseline",),
    "invariance sequence": (
        "invariance MLR (scaled difference)",
        "invariance FIML ML",
        "invariance FIML MLR (scaled difference)",
    ),
    "invariance, scaled difference (MLR)": (
        "invariance MLR (scaled difference)",
        "invariance FIML MLR (scaled difference)",
    ),
    "modindices": ("modindices", "modindices FIML"),
    "modindices multigroup": ("modindices multigroup", "modindices multigroup FIML"),
    "modindices FIML": ("modindices FIML", "modindices multigroup FIML"),
    "likelihood wishart": ("likelihood wishart",),
}


def ref_file(name: str) -> dict[str, Any]:
    return json.loads((FIX / name).read_text())


@dataclass(frozen=True)
class Case:
    """One fixture: the feature it checks, the data set key, the model and the fit keywords."""

    name: str
    feature: str
    data: str
    model: str
    kw: dict[str, Any]
    ref: dict[str, Any]


def _kw(kw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """lavaan-named keywords -> (Model keywords, fit keywords)."""
    model_kw = {"fixed_x": bool(kw["fixed_x"])} if "fixed_x" in kw else {}
    fit_kw = {k: v for k, v in kw.items() if k != "fixed_x"}
    if isinstance(fit_kw.get("group_equal"), str):
        fit_kw["group_equal"] = [fit_kw["group_equal"]]
    return model_kw, fit_kw


def fit_case(case: Case) -> Any:
    model_kw, fit_kw = _kw(case.kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Model(case.model, **model_kw).fit(DATA[case.data](), **fit_kw)


def matrix_cases() -> Iterator[Case]:
    """The single-fit cases of ``sem_matrix.json`` (made by tests/fixtures/r/sem_matrix.R)."""
    ref = ref_file("sem_matrix.json")
    for name, c in ref["cases"].items():
        yield Case(name, c["feature"], c["data"], c["model"], dict(c["kw"] or {}), c)


def older_cases() -> Iterator[Case]:
    """The earlier fixtures, labelled by feature (sem_fiml.R, sem_semextra.R, sem_multigroup.R ...)."""
    fiml = {
        "hs_mean": ("meanstructure", "hs", {"meanstructure": True}),
        "hs_latmean": ("latent means", "hs", {}),
        "hs_fiml": ("FIML ml", "hsm", {"missing": "ml"}),
        "lk_fiml": ("FIML ml", "lk", {"missing": "ml"}),
        "lk_fiml_x": ("FIML ml (covariate)", "lk", {"missing": "ml"}),
        "lk_fiml_mlx": ("FIML ml.x", "lk", {"missing": "ml.x"}),
        "hs_mlm": ("MLM", "hs", {"estimator": "MLM"}),
        "lk_listwise_mlm": ("MLM", "lk", {"estimator": "MLM"}),
        "hs_mlr": ("MLR", "hs", {"estimator": "MLR"}),
        "lk_listwise_mlr": ("MLR", "lk", {"estimator": "MLR"}),
        "hs_fiml_mlr": ("MLR + FIML", "hsm", {"missing": "ml", "estimator": "MLR"}),
        "lk_fiml_mlr": ("MLR + FIML", "lk", {"missing": "ml", "estimator": "MLR"}),
        "hs_cfa": ("ML", "hs", {}),
        "poldem": ("ML", "pd", {}),
        "wishart_hs": ("likelihood wishart", "hs", {"likelihood": "wishart"}),
        "wishart_poldem": ("likelihood wishart", "pd", {"likelihood": "wishart"}),
    }
    for name, (feature, data, kw) in fiml.items():
        ref = ref_file(f"sem_{name}.json")
        yield Case(name, feature, data, ref["model"], kw, ref)
    mg = ref_file("sem_multigroup.json")
    for step, eq in (("configural", []), ("metric", ["loadings"]), ("scalar", ["loadings", "intercepts"]),
                     ("strict", ["loadings", "intercepts", "residuals"])):  # fmt: skip
        feature = "multigroup ML" if step == "configural" else "group.equal loadings/intercepts/residuals"
        yield Case(f"hs_mg_{step}", feature, "hs", mg["hs_model"], {"group": "school", "group_equal": eq},
                   mg["hs"]["steps"][step])  # fmt: skip
        yield Case(f"lk_mg_fiml_mlr_{step}", "multigroup MLR + FIML" if step == "configural" else feature,
                   "lk", mg["lk_model"], {"group": "size", "group_equal": eq, "estimator": "MLR", "missing": "ml"},
                   mg["lk_fiml_mlr"]["steps"][step])  # fmt: skip


def _params_frame(ref: dict[str, Any]) -> pd.DataFrame:
    R = pd.DataFrame(ref["params"])
    labels = ref.get("group_labels")
    if "group" in R and labels:
        R["group"] = [labels[int(g) - 1] if g else "" for g in R["group"]]
    return R


def diffs(ref: dict[str, Any], res: Any) -> dict[str, Any]:
    """Largest |ours - lavaan| on est, se, std_all and the fit measures (relative for chi-square-like
    ones, as ``max(1, |value|)``-scaled), the fit key with the largest difference, the number of
    compared measures and the lavaan measures we do not print."""
    R = _params_frame(ref)
    ours = res.params
    on = ["lhs", "op", "rhs"] + (["group"] if "group" in R.columns and "group" in ours.columns else [])
    if "group" in R.columns and "group" in ours.columns:
        R = R[R["op"] != ":="]
        ours = ours[ours["op"] != ":="]
    m = ours.merge(R, on=on, suffixes=("", "_r"))
    out: dict[str, Any] = {"n_params": len(R), "matched": len(m), "n_ours": len(ours)}
    for col, rcol in (("est", "est_r"), ("se", "se_r"), ("std_all", "std.all")):
        a = m[col].to_numpy(float)
        b = m[rcol].to_numpy(float)
        ok = ~(np.isnan(a) & np.isnan(b))
        out[col] = float(np.nanmax(np.abs(a[ok] - b[ok]))) if ok.any() else 0.0
    fm = res.fit_measures()
    worst, key_w, n, absent = 0.0, "", 0, []
    for k, v in ref["fit"].items():
        key = k.replace(".", "_")
        if key not in fm:
            absent.append(key)
            continue
        if v is None or key == "ntotal":
            continue
        d = abs(float(fm[key]) - float(v))
        if key in RELATIVE:
            d /= max(1.0, abs(float(v)))
        if not math.isfinite(d):
            d = 0.0 if not math.isfinite(float(fm[key])) and not math.isfinite(float(v)) else math.inf
        if d > worst:
            worst, key_w = d, key
        n += 1
    out.update(fit=worst, fit_key=key_w, n_fit=n, absent=absent)
    return out


def invariance_diffs(name: str) -> dict[str, Any]:
    """The invariance table against lavaan's fits per step and ``lavTestLRT``."""
    from cbeclab.sem.multigroup import invariance

    c = ref_file("sem_matrix.json")["invariance"][name]
    data = DATA[c["data"]]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = invariance(Model(c["model"]), data, c["group"], **dict(c["kw"]))
    suffix = ".scaled" if c["kw"].get("estimator") == "MLR" else ""
    worst = 0.0
    for _i, row in tab.iterrows():
        f = c["fit"][row["step"]]
        for col, key in (("chisq", "chisq"), ("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea")):
            v = float(f[key + suffix])
            d = abs(float(row[col]) - v) / (max(1.0, abs(v)) if col == "chisq" else 1.0)
            worst = max(worst, d)
        worst = max(worst, abs(float(row["srmr"]) - float(f["srmr"])), abs(float(row["df"]) - float(f["df"])))
        if row["step"] != "configural":
            lrt = c["lrt"][row["step"]]
            worst = max(
                worst,
                abs(float(row["chisq_diff"]) - lrt["chisq_diff"]) / max(1.0, abs(lrt["chisq_diff"])),
                abs(float(row["pvalue_diff"]) - lrt["pvalue"]),
                abs(float(row["df_diff"]) - lrt["df_diff"]),
            )
    return {"feature": c["feature"], "data": c["data"], "fit": worst}


def mi_cases() -> dict[str, dict[str, Any]]:
    """Modification-index fixtures: sem_modindices.R (single group) and sem_matrix.R (groups, FIML)."""
    old = ref_file("sem_modindices.json")
    out = {}
    for name, data in (("hs", "hs"), ("pd", "pd"), ("lk_fiml", "lk")):
        kw = {"missing": "ml"} if name == "lk_fiml" else {}
        out[name] = {"feature": "modindices FIML" if kw else "modindices", "data": data,
                     "model": old[name]["model"], "kw": kw, "mi": old[name]["mi"]}  # fmt: skip
    out.update(ref_file("sem_matrix.json")["modindices"])
    return out


def modindices_diffs(c: dict[str, Any]) -> dict[str, Any]:
    """Modification indices (mi, epc, sepc_all) against lavaan's ``modindices(sort. = FALSE)``."""
    from cbeclab.sem.modindices import modindices

    model_kw, kw = _kw(dict(c["kw"]))
    data = DATA[c["data"]]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = modindices(Model(c["model"], **model_kw), data, sort=False, **kw)
    R = pd.DataFrame(c["mi"])
    on = ["lhs", "op", "rhs"]
    if "group" in R.columns:
        labels = list(pd.unique(data[kw["group"]].dropna().astype(str)))
        R["group"] = [labels[int(g) - 1] for g in R["group"]]
        on.append("group")
    m = ours.merge(R, on=on, suffixes=("", "_r"))
    out: dict[str, Any] = {"feature": c["feature"], "data": c["data"], "n_ref": len(R), "matched": len(m)}
    out["n_ours"] = len(ours)
    for col, rcol in (("mi", "mi_r"), ("epc", "epc_r"), ("sepc_all", "sepc.all")):
        a, b = m[col].to_numpy(float), m[rcol].to_numpy(float)
        scale = np.maximum(1.0, np.abs(b)) if col == "mi" else 1.0  # MI is a chi-square: relative
        out[col] = float(np.nanmax(np.abs(a - b) / scale))
    return out


def table() -> pd.DataFrame:
    """Feature x data set -> max abs difference (est, se, std.all, fit; mi/epc/sepc.all for MI)."""
    rows = []
    for case in [*older_cases(), *matrix_cases()]:
        d = diffs(case.ref, fit_case(case))
        rows.append({"feature": case.feature, "data": case.data, "case": case.name, "est": d["est"],
                     "se": d["se"], "std_all": d["std_all"], "fit": d["fit"], "n_fit": d["n_fit"],
                     "absent": ",".join(d["absent"])})  # fmt: skip
    for name in ref_file("sem_matrix.json")["invariance"]:
        d = invariance_diffs(name)
        rows.append(
            {"feature": d["feature"], "data": d["data"], "case": f"invariance_{name}", "fit": d["fit"]}
        )
    for name, c in mi_cases().items():
        d = modindices_diffs(c)
        rows.append({"feature": d["feature"], "data": d["data"], "case": f"mi_{name}", "est": d["epc"],
                     "std_all": d["sepc_all"], "fit": d["mi"]})  # fmt: skip
    return pd.DataFrame(rows)


if __name__ == "__main__":
    t = table()
    pd.set_option("display.width", 200)
    g = t.groupby(["feature", "data"], sort=False)[["est", "se", "std_all", "fit"]].max()
    print("| feature | data | est | se | std.all | fit measures |\n|---|---|---|---|---|---|")
    for (feature, data), r in g.iterrows():
        cells = ["" if pd.isna(v) else f"{v:.1e}" for v in r]
        print(f"| {feature} | {data} | " + " | ".join(cells) + " |")
    absent = t[t["absent"].fillna("") != ""]
    print(
        "\nlavaan measures not printed:", "none" if absent.empty else absent[["case", "absent"]].to_string()
    )
