"""Paper-style tables of a survey run (seed 000, Tables 1–5) plus descriptives, KMO/Bartlett, EFA and HTMT.

Presentation only: every number is read from the :class:`~cbeclab.survey.workflow.SurveyResult`
views, which are themselves read off the results of :mod:`cbeclab.measure` and :mod:`cbeclab.sem`
without recomputation. Threshold checks are explicit columns (``*_ok`` / ``Passes``), never hidden.

Layouts (column keys; headers come from ``labels.yaml`` in ``en`` or ``zh``):

* ``table1``: construct, construct_name, item, item_text, efa_loading, std_loading, loading_ok, r_drop,
  alpha_if_deleted, alpha, alpha_ok, cr, cr_ok, ave, ave_ok (construct-level values on the construct's
  first row, as the paper prints merged cells);
* ``table2``: construct, ave, sqrt_ave, one column per construct (diagonal √AVE, lower triangle latent
  correlations), max_corr, fl_ok;
* ``table3``: row (value / threshold / pass / source), one column per fit index (seed 000 Table 3 is laid
  out the same way);
* ``table4``: hypothesis, path, estimate, std_estimate, se, cr_z, p, sig, supported;
* ``table5``: hypothesis, model, effect, estimate, std_estimate, se (delta method), z, p, boot_se,
  ci_lower, ci_upper, std_ci_lower, std_ci_upper, share_pct, verdict, typology, supported.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from cbeclab.i18n import _, pick
from cbeclab.render.numbers import p_clause

if TYPE_CHECKING:
    from cbeclab.survey.workflow import SurveyResult

__all__ = ["FIT_INDICES", "TABLE_KEYS", "build_tables", "labels", "stars"]

#: the five paper tables, then the supporting tables, in report order
TABLE_KEYS = (
    "table1",
    "table2",
    "table3",
    "table4",
    "table5",
    "descriptives",
    "adequacy",
    "efa",
    "efa_variance",
    "htmt",
    "msv_asv",
    "harman",
    "single_factor",
    "profile",
    "invariance",
    "modindices",
)

#: Table 3 columns: (fit-measure key, printed name); seed 000 prints the first six
FIT_INDICES = (
    ("chisq_df", "χ²/df"),
    ("rmsea", "RMSEA"),
    ("gfi", "GFI"),
    ("nfi", "NFI"),
    ("cfi", "CFI"),
    ("ifi", "IFI"),
    ("tli", "TLI"),
    ("srmr", "SRMR"),
)


@cache
def _labels_raw() -> dict[str, Any]:
    return yaml.safe_load(Path(__file__).with_name("labels.yaml").read_text(encoding="utf-8"))


def labels(lang: str) -> dict[str, dict[str, str]]:
    """``{group: {key: text}}`` in ``lang`` (``en`` or ``zh``)."""
    return {g: {k: v[lang] for k, v in d.items()} for g, d in _labels_raw().items()}


def stars(p: float | None) -> str:
    """``***`` p < 0.001, ``**`` p < 0.01, ``*`` p < 0.05, else ``""`` (seed 000 prints *** for p < 0.001)."""
    if p is None or not math.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _f(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _yn(v: bool | None, L: dict[str, dict[str, str]]) -> str:
    return L["words"]["na"] if v is None else L["words"]["yes"] if v else L["words"]["no"]


def _finish(
    df: pd.DataFrame, key: str, L: dict[str, dict[str, str]], note: str | None = None
) -> pd.DataFrame:
    cols = L["columns"]
    out = df.rename(columns={c: cols.get(c, c) for c in df.columns})
    out.attrs["keys"] = [str(c) for c in df.columns]
    out.attrs["key"] = key
    out.attrs["title"] = L["titles"][key]
    out.attrs["sheet"] = L["sheets"][key]
    if note:
        out.attrs["note"] = note
    return out


# --------------------------------------------------------------------------------------------------
# the tables
# --------------------------------------------------------------------------------------------------


def table1(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Measurement model (seed 000 Table 1 + Table 2's AVE column): one row per item."""
    L = labels(lang)
    th = res.thresholds
    spec = res.spec
    rows = []
    efa = res.efa_primary
    for c, cs in spec.constructs.items():
        a = res.alpha[c]
        r_drop = a.item_stats["r_drop"]
        a_drop = a.alpha_drop["raw_alpha"]
        for j, (item, its) in enumerate(cs.items.items()):
            lam = _f(res.std_loadings.get(item))
            first = j == 0
            rows.append(
                {
                    "construct": c if first else "",
                    "construct_name": cs.label(c, lang) if first else "",
                    "item": item,
                    "item_text": pick(its.en, its.zh, lang) or "",
                    "efa_loading": _f(efa.get(item)) if efa is not None else math.nan,
                    "std_loading": lam,
                    "loading_ok": _yn(th["loading"].passes(lam), L),
                    "r_drop": _f(r_drop.get(item)),
                    "alpha_if_deleted": _f(a_drop.get(item)),
                    "alpha": a.raw_alpha if first else math.nan,
                    "alpha_ok": _yn(th["alpha"].passes(a.raw_alpha), L) if first else "",
                    "cr": _f(res.cr.get(c)) if first else math.nan,
                    "cr_ok": _yn(th["cr"].passes(_f(res.cr.get(c))), L) if first else "",
                    "ave": _f(res.ave.get(c)) if first else math.nan,
                    "ave_ok": _yn(th["ave"].passes(_f(res.ave.get(c))), L) if first else "",
                }
            )
    df = pd.DataFrame(rows)
    if efa is None:
        df = df.drop(columns="efa_loading")
    efa_txt = (
        _(
            "{method}, {rotation}, {n} factors",
            method=spec.efa.method,
            rotation=spec.efa.rotation,
            n=res.n_factors,
            lang=lang,
        )
        if res.efa is not None
        else L["words"]["na"]
    )
    note = L["notes"]["table1"].format(
        kmo=f"{res.kmo.overall:.3f}",
        chisq=f"{res.bartlett.chisq:.3f}",
        df=res.bartlett.df,
        p=p_clause(res.bartlett.p_value),
        efa=efa_txt,
    )
    return _finish(df, "table1", L, note)


def table2(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Fornell–Larcker matrix (seed 000 Table 2): √AVE on the diagonal, latent correlations below."""
    L = labels(lang)
    names = list(res.spec.constructs)
    corr = res.latent_corr.loc[names, names]
    sq = res.sqrt_ave.reindex(names)
    rows = []
    for i, c in enumerate(names):
        row: dict[str, Any] = {"construct": c, "ave": _f(res.ave.get(c)), "sqrt_ave": _f(sq[c])}
        for j, d in enumerate(names):
            row[d] = _f(sq[c]) if i == j else _f(corr.loc[c, d]) if j < i else math.nan
        others = corr.loc[c].drop(c).abs()
        mx = _f(others.max()) if len(others) else math.nan
        row["max_corr"] = mx
        ok = res.fl_ok.get(c)
        row["fl_ok"] = _yn(None if ok is None else bool(ok), L)
        rows.append(row)
    return _finish(pd.DataFrame(rows), "table2", L, L["notes"]["table2"])


def table3(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Fit indices laid out as seed 000 Table 3: value, ideal standard, judgement (+ source)."""
    L = labels(lang)
    fit = res.fit
    th = res.thresholds
    value: dict[str, Any] = {"row": L["rows"]["value"]}
    thr: dict[str, Any] = {"row": L["rows"]["threshold"]}
    ok: dict[str, Any] = {"row": L["rows"]["pass"]}
    src: dict[str, Any] = {"row": L["rows"]["source"]}
    for key, name in FIT_INDICES:
        v = _f(fit.get(key))
        value[name] = v
        thr[name] = th[key].text
        ok[name] = _yn(th[key].passes(v), L)
        src[name] = th[key].cite(lang)
    df = pd.DataFrame([value, thr, ok, src])
    note = L["notes"]["table3"].format(n=res.checked.n_used)
    note += (
        f" χ² = {_f(fit.get('chisq')):.3f}, df = {int(_f(fit.get('df')))}, p {p_clause(_f(fit.get('pvalue')))}, "
        f"RMSEA 90% CI [{_f(fit.get('rmsea_ci_lower')):.3f}, {_f(fit.get('rmsea_ci_upper')):.3f}]."
    )
    return _finish(df, "table3", L, note)


def _hyp_lookup(res: SurveyResult) -> dict[tuple[str, ...], str]:
    out = {}
    for h, text in res.spec.hypotheses.items():
        parts = tuple(p.strip() for p in text.replace("→", "->").split("->"))
        out[parts] = h
    for med in res.spec.mediation:
        if med.hypothesis:
            out[(med.x, *med.m, med.y)] = med.hypothesis
    return out


def table4(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Structural paths (seed 000 Table 4): our own estimates, unstandardized and standardized."""
    L = labels(lang)
    hyp = _hyp_lookup(res)
    p_th = res.thresholds["p_value"]
    rows = []
    for r in res.paths.itertuples(index=False):
        p = _f(r.pvalue)
        h = hyp.get((str(r.rhs), str(r.lhs)), "")
        rows.append(
            {
                "hypothesis": h,
                "path": f"{r.rhs} → {r.lhs}",
                "estimate": _f(r.est),
                "std_estimate": _f(r.std_all),
                "se": _f(r.se),
                "cr_z": _f(r.z),
                "p": p,
                "sig": stars(p),
                "supported": _yn(p_th.passes(p) and _f(r.est) > 0, L) if h else "",
            }
        )
    return _finish(pd.DataFrame(rows), "table4", L, L["notes"]["table4"])


def table5(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Bootstrap mediation (seed 000 Table 5): indirect, direct and total effect rows per model."""
    L = labels(lang)
    eff = res.effects
    rows = []
    for r in eff.itertuples(index=False):
        first = r.effect == "indirect"
        name = L["effects"].get(str(r.effect), str(r.effect))
        if r.effect == "specific":
            name = f"{name}: {r.path}"
        rows.append(
            {
                "hypothesis": r.hypothesis if first else "",
                "model": r.model if first else "",
                "effect": name,
                "estimate": _f(r.est),
                "std_estimate": _f(r.std_est),
                "se": _f(r.se),
                "z": _f(r.z),
                "p": _f(r.p),
                "boot_se": _f(r.boot_se),
                "ci_lower": _f(r.ci_lower),
                "ci_upper": _f(r.ci_upper),
                "std_ci_lower": _f(r.std_ci_lower),
                "std_ci_upper": _f(r.std_ci_upper),
                "share_pct": _f(r.share_pct),
                "verdict": L["verdicts"].get(str(r.verdict), str(r.verdict)) if first else "",
                "typology": L["typology"].get(str(r.typology), str(r.typology)) if first else "",
                "supported": _yn(r.verdict in ("full", "partial"), L) if first and r.hypothesis else "",
            }
        )
    cols = [
        "hypothesis",
        "model",
        "effect",
        "estimate",
        "std_estimate",
        "se",
        "z",
        "p",
        "boot_se",
        "ci_lower",
        "ci_upper",
        "std_ci_lower",
        "std_ci_upper",
        "share_pct",
        "verdict",
        "typology",
        "supported",
    ]
    df = pd.DataFrame(rows, columns=cols)
    b = res.boot_info
    note = L["notes"]["table5"].format(
        ci=L["notes"]["ci_" + res.spec.bootstrap.ci],
        level=f"{100 * res.spec.bootstrap.level:g}",
        draws=b.get("n_boot"),
        failed=b.get("n_failed"),
        seed=b.get("seed"),
    )
    return _finish(df, "table5", L, note)


def descriptives(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Item descriptives (``cbeclab.measure.describe_items``) with the construct of each item."""
    L = labels(lang)
    d = res.descriptives.to_frame()
    d.insert(0, "construct", d["item"].map(res.spec.item_construct))
    keep = [
        c
        for c in ("construct", "item", "n", "mean", "sd", "median", "min", "max", "skew", "kurtosis")
        if c in d
    ]
    return _finish(d[keep], "descriptives", L)


def adequacy(res: SurveyResult, lang: str) -> pd.DataFrame:
    """KMO and Bartlett's test with their thresholds (seed 000 §4.2), plus EFA variance explained."""
    L = labels(lang)
    th = res.thresholds
    rows = [
        {
            "measure": L["rows"]["kmo"],
            "value": res.kmo.overall,
            "threshold": th["kmo"].text,
            "pass": _yn(th["kmo"].passes(res.kmo.overall), L),
            "source": th["kmo"].cite(lang),
        },
        {
            "measure": L["rows"]["bartlett_chisq"],
            "value": res.bartlett.chisq,
            "threshold": "",
            "pass": "",
            "source": "",
        },
        {
            "measure": L["rows"]["bartlett_df"],
            "value": float(res.bartlett.df),
            "threshold": "",
            "pass": "",
            "source": "",
        },
        {
            "measure": L["rows"]["bartlett_p"],
            "value": res.bartlett.p_value,
            "threshold": th["bartlett_p"].text,
            "pass": _yn(th["bartlett_p"].passes(res.bartlett.p_value), L),
            "source": th["bartlett_p"].cite(lang),
        },
    ]
    if res.efa is not None:
        cum = res.efa_variance
        rows.append(
            {
                "measure": L["rows"]["efa_factors"],
                "value": float(res.n_factors),
                "threshold": "",
                "pass": "",
                "source": "",
            }
        )
        if cum is not None and len(cum):
            rows.append(
                {
                    "measure": L["rows"]["efa_cumvar"],
                    "value": float(cum["cumulative_var"].iloc[-1]),
                    "threshold": "",
                    "pass": "",
                    "source": "",
                }
            )
    return _finish(pd.DataFrame(rows), "adequacy", L)


def efa_loadings(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Rotated EFA loadings (item × factor) with communalities."""
    L = labels(lang)
    if res.efa is None:
        return _finish(pd.DataFrame(columns=["construct", "item"]), "efa", L)
    lo = res.efa_loadings.copy()
    lo.index.name = "item"
    df = lo.reset_index()
    df.insert(0, "construct", df["item"].map(res.spec.item_construct))
    if res.efa_communalities is not None:
        df["communality"] = df["item"].map(res.efa_communalities).astype(float)
    return _finish(df, "efa", L)


def efa_variance(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Sums of squared loadings and (cumulative) proportion of variance per factor."""
    L = labels(lang)
    v = res.efa_variance
    if v is None:
        return _finish(pd.DataFrame(columns=["factor"]), "efa_variance", L)
    df = v.rename_axis("factor").reset_index()
    return _finish(df, "efa_variance", L)


def htmt(res: SurveyResult, lang: str) -> pd.DataFrame:
    """HTMT matrix (lower triangle) and whether every ratio stays below the threshold."""
    L = labels(lang)
    names = list(res.spec.constructs)
    m = res.htmt.reindex(index=names, columns=names)
    th = res.thresholds["htmt"]
    rows = []
    for i, c in enumerate(names):
        row: dict[str, Any] = {"construct": c}
        for j, d in enumerate(names):
            row[d] = _f(m.loc[c, d]) if j < i else math.nan
        below = [_f(m.loc[c, d]) for j, d in enumerate(names) if j < i]
        vals = [v for v in below if np.isfinite(v)]
        row["pass"] = _yn(all(th.passes(v) for v in vals), L) if vals else ""
        rows.append(row)
    note = f"HTMT {th.text} ({th.cite(lang)})"
    return _finish(pd.DataFrame(rows), "htmt", L, note)


def msv_asv(res: SurveyResult, lang: str) -> pd.DataFrame:
    """AVE beside MSV and ASV per construct; discriminant when MSV < AVE (Hair et al. 2010)."""
    L = labels(lang)
    if res.msv_asv is None:
        return _finish(pd.DataFrame(columns=["construct"]), "msv_asv", L)
    rows = []
    for c in res.spec.constructs:
        ave = _f(res.ave.get(c))
        msv = _f(res.msv_asv["msv"].get(c))
        asv = _f(res.msv_asv["asv"].get(c))
        ok = None if not (np.isfinite(ave) and np.isfinite(msv)) else bool(msv < ave)
        rows.append({"construct": c, "ave": ave, "msv": msv, "asv": asv, "msv_ok": _yn(ok, L)})
    return _finish(pd.DataFrame(rows), "msv_asv", L, L["notes"]["msv_asv"])


def harman(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Harman's single-factor test: variance share of the first unrotated principal component."""
    L = labels(lang)
    h = res.harman
    if h is None:
        return _finish(pd.DataFrame(columns=["measure", "value"]), "harman", L)
    rows = [
        {"measure": L["rows"]["harman_share"], "value": 100.0 * h.share, "threshold": f"< {100 * h.cutoff:g}%",
         "pass": _yn(h.passed, L)},
        {"measure": L["rows"]["harman_eigen"], "value": float(h.eigenvalues.iloc[0]), "threshold": "", "pass": ""},
        {"measure": L["rows"]["harman_above1"], "value": float((h.eigenvalues > 1).sum()), "threshold": "",
         "pass": ""},
    ]  # fmt: skip
    return _finish(pd.DataFrame(rows), "harman", L, L["notes"]["harman"])


def single_factor(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Fit of the one-factor CFA against the measurement model, with the chi-square difference test."""
    L = labels(lang)
    c = res.single_factor
    if c is None:
        return _finish(pd.DataFrame(columns=["model"]), "single_factor", L)
    df = c.table.reset_index()
    df["df"] = df["df"].astype(int)
    df["model"] = df["model"].map(lambda k: L["rows"].get(k, k))
    note = L["notes"]["single_factor"].format(
        d=f"{c.delta_chisq:.3f}",
        df=c.delta_df,
        p="< 0.001" if c.delta_pvalue < 0.001 else f"= {c.delta_pvalue:.3f}",
    )
    return _finish(df, "single_factor", L, note)


def profile(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Sample profile: counts and percentages of the background questions' categories."""
    L = labels(lang)
    if res.profile is None:
        return _finish(pd.DataFrame(columns=["variable", "category", "count", "percent"]), "profile", L)
    p = res.profile.rename(columns={"n": "count"})
    spec = res.spec
    missing = {_("missing", lang="en"), _("missing", lang="zh")}  # sample_profile's row of missing answers
    p["category"] = [
        _("missing", lang=lang) if c in missing else spec.value_label(str(v), c, lang)
        for v, c in zip(p["variable"], p["category"], strict=True)
    ]
    p["variable"] = [spec.column_label(str(v), lang) for v in p["variable"]]
    return _finish(p, "profile", L)


def invariance_group_names(res: SurveyResult, lang: str) -> list[str]:
    """The invariance groups by their value labels in ``lang`` (spec ``value_labels``)."""
    if res.spec.sem.invariance is None:
        return []
    col = res.spec.sem.invariance.group
    return [res.spec.value_label(col, g, lang) for g, _n in res.invariance_groups]


def _finish_i18n(
    df: pd.DataFrame, key: str, title: str, sheet: str, heads: dict[str, str], note: str
) -> pd.DataFrame:
    """As :func:`_finish`, with the title, sheet name and headers already translated (catalogue)."""
    out = df.rename(columns={c: heads.get(c, c) for c in df.columns})
    out.attrs.update(keys=[str(c) for c in df.columns], key=key, title=title, sheet=sheet)
    if note:
        out.attrs["note"] = note
    return out


def _step_label(step: str, lang: str) -> str:
    names = {
        "configural": _("configural (same pattern)", lang=lang),
        "metric": _("metric (equal loadings)", lang=lang),
        "scalar": _("scalar (+ equal intercepts)", lang=lang),
        "strict": _("strict (+ equal residual variances)", lang=lang),
    }
    return names.get(step, step)


def invariance(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Measurement invariance of the CFA across the groups of ``spec.sem.invariance.group``: fit per
    step and the change against the previous step (``cbeclab.sem.multigroup.invariance``)."""
    cols = ["step", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "chisq_diff", "df_diff", "pvalue_diff",
            "delta_cfi", "delta_rmsea", "holds"]  # fmt: skip
    heads = {
        "step": _("Model", lang=lang),
        "chisq": "χ²",
        "df": "df",
        "cfi": "CFI",
        "tli": "TLI",
        "rmsea": "RMSEA",
        "srmr": "SRMR",
        "chisq_diff": "Δχ²",
        "df_diff": "Δdf",
        "pvalue_diff": _("p (Δχ²)", lang=lang),
        "delta_cfi": "ΔCFI",
        "delta_rmsea": "ΔRMSEA",
        "holds": _("ΔCFI ≥ −0.01", lang=lang),
    }
    title = _("Measurement invariance across groups", lang=lang)
    sheet = _("invariance", lang=lang)
    if res.invariance is None:
        return _finish_i18n(pd.DataFrame(columns=cols), "invariance", title, sheet, heads, "")
    L = labels(lang)
    t = res.invariance.copy()
    t["holds"] = ["" if not math.isfinite(_f(d)) else _yn(bool(_f(d) >= -0.01), L) for d in t["delta_cfi"]]
    t["step"] = [_step_label(str(v), lang) for v in t["step"]]
    spec = res.spec
    assert spec.sem.invariance is not None
    names = invariance_group_names(res, lang)
    groups = _(", ", lang=lang).join(f"{g} (n = {n})" for g, (_g, n) in zip(names, res.invariance_groups))
    scaled = spec.estimator == "MLR"
    note = _(
        "Measurement model (CFA) fitted in each group of {col}: {groups}; estimator {est}, {mis}. "
        "Each step adds equality constraints across groups; Δ against the previous step.",
        col=spec.column_label(spec.sem.invariance.group, lang),
        groups=groups,
        est=spec.estimator,
        mis=_missing_name(spec.missing, lang),
        lang=lang,
    )
    if scaled:
        note += " " + _(
            "χ², CFI, TLI and RMSEA are the scaled (Yuan–Bentler) values; Δχ² is the Satorra–Bentler "
            "(2001) scaled difference test.",
            lang=lang,
        )
    note += " " + _(
        "Invariance holds at a step when ΔCFI ≥ −0.01 (Cheung & Rensvold 2002) and ΔRMSEA ≤ 0.015 "
        "(Chen 2007); the Δχ² test is sensitive to sample size.",
        lang=lang,
    )
    return _finish_i18n(t[cols], "invariance", title, sheet, heads, note)


def _missing_name(missing: str, lang: str) -> str:
    return {
        "listwise": _("listwise deletion", lang=lang),
        "error": _("listwise deletion", lang=lang),
        "ml": _("full-information ML (FIML)", lang=lang),
        "ml.x": _("full-information ML with the covariates (FIML, ml.x)", lang=lang),
        "pairwise": _("pairwise (available answers)", lang=lang),
    }.get(missing, missing)


def modindices(res: SurveyResult, lang: str) -> pd.DataFrame:
    """Modification indices of the measurement model (``cbeclab.sem.modindices``), largest first."""
    cols = ["lhs", "op", "rhs", "mi", "epc", "sepc_all"]
    heads = {
        "lhs": _("Left", lang=lang),
        "op": _("Operator", lang=lang),
        "rhs": _("Right", lang=lang),
        "mi": "MI",
        "epc": "EPC",
        "sepc_all": _("Standardized EPC", lang=lang),
    }
    title = _("Modification indices of the measurement model", lang=lang)
    sheet = _("modification indices", lang=lang)
    if res.modindices is None:
        return _finish_i18n(pd.DataFrame(columns=cols), "modindices", title, sheet, heads, "")
    mi_spec = res.spec.sem.modindices
    assert mi_spec is not None
    note = _(
        "Score tests (as lavaan's modindices) of each loading and residual covariance the model leaves out, "
        "MI ≥ {m:g}, at most {top} rows, largest first. MI: the drop of χ² (1 df) if the parameter "
        "were freed; EPC: its expected value; standardized EPC: completely standardized. "
        "=~ is a cross-loading, ~~ a residual covariance.",
        m=mi_spec.min,
        top=mi_spec.top,
        lang=lang,
    )
    return _finish_i18n(res.modindices[cols].reset_index(drop=True), "modindices", title, sheet, heads, note)


_OPTIONAL = frozenset({"msv_asv", "harman", "single_factor", "profile", "invariance", "modindices"})

_BUILDERS = {
    "table1": table1,
    "table2": table2,
    "table3": table3,
    "table4": table4,
    "table5": table5,
    "descriptives": descriptives,
    "adequacy": adequacy,
    "efa": efa_loadings,
    "efa_variance": efa_variance,
    "htmt": htmt,
    "msv_asv": msv_asv,
    "harman": harman,
    "single_factor": single_factor,
    "profile": profile,
    "invariance": invariance,
    "modindices": modindices,
}


def build_tables(res: SurveyResult, lang: str = "en") -> dict[str, pd.DataFrame]:
    """All tables keyed by :data:`TABLE_KEYS`; each frame has ``attrs`` title, sheet and (maybe) note."""
    out = {k: _BUILDERS[k](res, lang) for k in TABLE_KEYS}
    # optional tables the run did not produce (no profile columns, cmb switched off) are left out;
    # the modification indices stay when asked for (an empty table says no MI reached the minimum)
    asked = {"modindices"} if res.modindices is not None else set()
    return {k: t for k, t in out.items() if k not in _OPTIONAL or len(t) or k in asked}
