"""The survey workflow of seed 000, end to end: checks → descriptives → KMO/Bartlett → EFA → alpha →
CFA → CR/AVE → Fornell–Larcker/HTMT → SEM fit → paths → bootstrap mediation.

:func:`run_survey` only calls the public functions of :mod:`cbeclab.measure` and :mod:`cbeclab.sem`
and keeps their result objects; :class:`SurveyResult` exposes read-only *views* (plain pandas objects
picked out of those results, never recomputed) from which :mod:`cbeclab.survey.tables` lays out the
paper's Tables 1–5.

Source: seed 000 (Zhu & Lu), §4.1–4.5 and Tables 1–5.
Checked against: the public functions themselves (``tests/test_survey_workflow.py`` recomputes each table
number with them); on the synthetic example, lavaan 0.6-14 ``sem()`` agrees with the Table 3 fit indices to
< 1e-8 and the Table 4 estimates/std.all to < 3e-6 (ad-hoc R run, see ``docs/survey.md``).
"""

from __future__ import annotations

import difflib
import time
import warnings as _warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import CbecWarning, SpecError
from cbeclab.i18n import _
from cbeclab.io.readers import read_table
from cbeclab.measure.alpha import AlphaResult, cronbach_alpha
from cbeclab.measure.bartlett import BartlettResult, bartlett_sphericity
from cbeclab.measure.cmb import (
    HarmanResult,
    SingleFactorComparison,
    harman_single_factor,
    single_factor_comparison,
)
from cbeclab.measure.cmb import msv_asv as msv_asv_table
from cbeclab.measure.descriptives import DescriptivesResult, describe_items
from cbeclab.measure.efa import EFAResult, efa
from cbeclab.measure.kmo import KMOResult, kmo
from cbeclab.measure.profile import sample_profile
from cbeclab.measure.reliability import ReliabilityResult, composite_reliability
from cbeclab.measure.validity import FornellLarckerResult, HTMTResult, fornell_larcker, htmt
from cbeclab.sem.bootstrap import BootstrapResult, bootstrap
from cbeclab.sem.mediation import MediationResult, mediation
from cbeclab.sem.model import SEMResult
from cbeclab.survey.checks import CheckedItems, check_items
from cbeclab.survey.spec import SurveySpec
from cbeclab.survey.thresholds import Threshold, thresholds_for

__all__ = ["ProgressFn", "SurveyResult", "run_survey"]

#: ``progress(done, total)`` after each finished chunk of bootstrap draws
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class SurveyResult:
    """Everything one survey run produced.

    The attributes hold the result objects of the public functions that were called (so each number
    can be traced to its function); the properties below are views used by the tables.
    """

    spec: SurveySpec
    checked: CheckedItems
    descriptives: DescriptivesResult
    kmo: KMOResult
    bartlett: BartlettResult
    efa: EFAResult | None
    alpha: dict[str, AlphaResult]
    cfa: SEMResult  # the measurement model (one factor a construct, factors correlated)
    reliability: ReliabilityResult
    fornell_larcker: FornellLarckerResult
    htmt_result: HTMTResult
    sem: SEMResult  # measurement + structural model
    bootstrap: BootstrapResult | None  # one bootstrap of the structural model, shared by all mediations
    mediation: tuple[MediationResult, ...]  # one per spec.mediation entry
    thresholds: dict[str, Threshold]
    warnings: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    harman: HarmanResult | None = None  # Harman's single-factor test on the items
    single_factor: SingleFactorComparison | None = None  # one-factor CFA vs the measurement model
    msv_asv: pd.DataFrame | None = None  # MSV and ASV per construct (from the CFA's latent correlations)
    profile: pd.DataFrame | None = None  # sample profile of spec.profile columns (counts, percent)
    invariance: pd.DataFrame | None = None  # CFA invariance across spec.sem.invariance.group
    invariance_groups: tuple[tuple[str, int], ...] = ()  # (group label, n) of the invariance fits
    modindices: pd.DataFrame | None = None  # CFA modification indices, mi >= spec.sem.modindices.min

    # ------------------------------------------------------------------ views (no computation)
    @property
    def n_factors(self) -> int:
        return int(self.efa.n_factors) if self.efa is not None else 0

    @property
    def std_loadings(self) -> pd.Series:
        """CFA standardized loadings (``std.all`` of the ``=~`` rows), indexed by item."""
        p = self.cfa.params
        lo = p[p["op"] == "=~"]
        return pd.Series(lo["std_all"].to_numpy(dtype=float), index=lo["rhs"].astype(str), name="std_loading")

    @property
    def std_loadings_by_construct(self) -> dict[str, pd.Series]:
        p = self.cfa.params
        lo = p[p["op"] == "=~"]
        return {
            str(c): pd.Series(g["std_all"].to_numpy(dtype=float), index=g["rhs"].astype(str))
            for c, g in lo.groupby("lhs", sort=False)
        }

    @property
    def efa_loadings(self) -> pd.DataFrame:
        """Rotated pattern loadings, items × factors (empty when EFA was off)."""
        return self.efa.loadings if self.efa is not None else pd.DataFrame()

    @property
    def efa_primary(self) -> pd.Series | None:
        """Each item's loading on the factor where it loads most (largest absolute pattern loading)."""
        if self.efa is None:
            return None
        lo = self.efa.loadings
        arr = lo.to_numpy(dtype=float)
        pick = np.abs(arr).argmax(axis=1)
        return pd.Series(arr[np.arange(arr.shape[0]), pick], index=lo.index.astype(str))

    @property
    def efa_communalities(self) -> pd.Series | None:
        return self.efa.communality if self.efa is not None else None

    @property
    def efa_variance(self) -> pd.DataFrame | None:
        """Factors in rows; columns ss_loadings, proportion_var, cumulative_var (psych's rows)."""
        if self.efa is None:
            return None
        v = self.efa.variance.T
        names = {
            "SS loadings": "ss_loadings",
            "Proportion Var": "proportion_var",
            "Cumulative Var": "cumulative_var",
        }
        return v[[c for c in names if c in v.columns]].rename(columns=names)

    @property
    def cr(self) -> pd.Series:
        """Composite reliability per construct (``composite_reliability(...).table["cr"]``)."""
        return self.reliability.table["cr"]

    @property
    def ave(self) -> pd.Series:
        """AVE per construct (``composite_reliability(...).table["ave"]``)."""
        return self.reliability.table["ave"]

    @property
    def sqrt_ave(self) -> pd.Series:
        """The diagonal of the Fornell–Larcker table."""
        t = self.fornell_larcker.table
        return pd.Series(np.diag(t.to_numpy(dtype=float)), index=t.index.astype(str))

    @property
    def latent_corr(self) -> pd.DataFrame:
        """Latent correlations of the CFA (``std.all`` of the factor ``~~`` rows), 1 on the diagonal."""
        return latent_correlations(self.cfa.params, list(self.spec.constructs))

    @property
    def fl_ok(self) -> dict[str, bool | None]:
        """Per construct: no Fornell–Larcker violation listed for it."""
        bad = {str(v["construct"]) for v in self.fornell_larcker.violations}
        return {str(c): c not in bad for c in self.fornell_larcker.table.index}

    @property
    def htmt(self) -> pd.DataFrame:
        return self.htmt_result.matrix

    @property
    def fit(self) -> dict[str, Any]:
        """``fit_measures()`` of the structural model (lavaan names, e.g. ``chisq_df``, ``rmsea_ci_lower``)."""
        return dict(self.sem.fit_measures())

    @property
    def paths(self) -> pd.DataFrame:
        """The ``~`` rows of the structural model's parameter table."""
        p = self.sem.params
        return p[p["op"] == "~"].reset_index(drop=True)

    @property
    def effects(self) -> pd.DataFrame:
        """One row per (mediation model, effect): indirect, direct, total (Table 5)."""
        frames = [_effects_frame(m, spec) for m, spec in zip(self.mediation, self.spec.mediation)]
        if not frames:
            return pd.DataFrame(columns=_EFFECT_COLS)
        return pd.concat(frames, ignore_index=True)

    @property
    def boot_info(self) -> dict[str, Any]:
        b = self.bootstrap
        if b is None:
            return {"n_boot": 0, "n_failed": 0, "seed": self.spec.seed}
        return {"n_boot": b.n_boot, "n_failed": b.n_failed, "seed": b.seed}

    # ------------------------------------------------------------------ outputs
    def tables(self, lang: str | None = None) -> dict[str, pd.DataFrame]:
        """Tables 1–5 of seed 000 plus descriptives, KMO/Bartlett, EFA and HTMT, headers in ``lang``."""
        from cbeclab.survey.tables import build_tables

        return build_tables(self, lang or self.spec.lang)

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """JSON-safe: spec, data checks, every underlying result's ``to_dict()``, and the tables."""
        from cbeclab.render import records, to_jsonable

        out: dict[str, Any] = {
            "title": self.spec.title,
            "spec": self.spec.model_dump(mode="json", exclude={"base_dir"}),
            "data": self.checked.to_dict(),
            "thresholds": {
                k: {"value": t.value, "op": t.op, "source": t.source} for k, t in self.thresholds.items()
            },
            "results": {
                "descriptives": self.descriptives.to_dict(),
                "kmo": self.kmo.to_dict(),
                "bartlett": self.bartlett.to_dict(),
                "efa": self.efa.to_dict() if self.efa is not None else None,
                "alpha": {c: a.to_dict() for c, a in self.alpha.items()},
                "cfa": {"params": records(self.cfa.params), "fit": to_jsonable(self.cfa.fit_measures())},
                "reliability": to_jsonable(self.reliability),
                "fornell_larcker": to_jsonable(self.fornell_larcker),
                "htmt": to_jsonable(self.htmt_result),
                "sem": {"params": records(self.sem.params), "fit": to_jsonable(self.sem.fit_measures())},
                "bootstrap": self.bootstrap.to_dict() if self.bootstrap is not None else None,
                "mediation": [to_jsonable(m) for m in self.mediation],
                "harman": self.harman.to_dict() if self.harman is not None else None,
                "single_factor": self.single_factor.to_dict() if self.single_factor is not None else None,
                "msv_asv": records(self.msv_asv.rename_axis("construct").reset_index())
                if self.msv_asv is not None
                else None,
                "profile": records(self.profile) if self.profile is not None else None,
                "invariance": records(self.invariance) if self.invariance is not None else None,
                "modindices": records(self.modindices) if self.modindices is not None else None,
            },
            "tables": {
                k: {"title": t.attrs.get("title"), "note": t.attrs.get("note"), "rows": records(t)}
                for k, t in self.tables(lang).items()
            },
            "warnings": list(self.warnings),
            "timings_s": self.timings,
        }
        return to_jsonable(out)


# --------------------------------------------------------------------------------------------------
# adapters: pick plain pandas objects out of the dependency results (no arithmetic)
# --------------------------------------------------------------------------------------------------

_EFFECT_COLS = [
    "hypothesis",
    "model",
    "effect",
    "path",
    "est",
    "std_est",
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
]


def latent_correlations(params: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Square matrix of the ``std_all`` values of the ``~~`` rows between ``factors`` (read, not computed).

    In a CFA whose factors covary freely, ``std.all`` of ``F1 ~~ F2`` is their correlation (lavaan).
    """
    m = pd.DataFrame(np.eye(len(factors)), index=factors, columns=factors)
    cov = params[(params["op"] == "~~") & (params["lhs"] != params["rhs"])]
    cov = cov[cov["lhs"].isin(factors) & cov["rhs"].isin(factors)]
    for a, b, v in zip(cov["lhs"], cov["rhs"], cov["std_all"]):
        m.loc[a, b] = m.loc[b, a] = float(v)
    return m


def _effects_frame(m: MediationResult, med: Any) -> pd.DataFrame:
    """Table 5 rows of one mediation model: indirect (summed, then specific chains), direct, total."""
    e = m.effects
    e = e[(e["x"] == med.x) & (e["y"] == med.y)]
    order = {"indirect": 0, "direct": 2, "total": 3}
    key = [order[str(k)] + (1 if sp else 0) for k, sp in zip(e["effect"], e["specific"])]
    e = e.assign(_k=key).sort_values("_k", kind="stable")
    v = m.verdicts[(m.verdicts["x"] == med.x) & (m.verdicts["y"] == med.y)]
    verdict = str(v["verdict"].iloc[0]) if len(v) else ""
    typ = str(v["typology"].iloc[0]) if len(v) else ""
    out = pd.DataFrame(
        {
            "hypothesis": med.hypothesis or "",
            "model": med.label,
            "effect": np.where(e["specific"], "specific", e["effect"]),
            "path": e["path"].to_numpy(),
            "est": e["est"].to_numpy(),
            "std_est": e["std_est"].to_numpy(),
            "se": e["se"].to_numpy(),
            "z": e["z"].to_numpy(),
            "p": e["pvalue"].to_numpy(),
            "boot_se": e["boot_se"].to_numpy(),
            "ci_lower": e["ci_lower"].to_numpy(),
            "ci_upper": e["ci_upper"].to_numpy(),
            "std_ci_lower": e["std_ci_lower"].to_numpy(),
            "std_ci_upper": e["std_ci_upper"].to_numpy(),
            "share_pct": 100.0 * e["share"].to_numpy(dtype=float),
            "verdict": verdict,
            "typology": typ,
        }
    )
    return out


# --------------------------------------------------------------------------------------------------
# the workflow
# --------------------------------------------------------------------------------------------------


def _timed(timings: dict[str, float], key: str, t0: float) -> float:
    t1 = time.perf_counter()
    timings[key] = round(t1 - t0, 4)
    return t1


def run_survey(
    spec: SurveySpec,
    progress: ProgressFn | None = None,
    *,
    data: pd.DataFrame | None = None,
) -> SurveyResult:
    """Run seed 000's whole survey workflow on ``spec``.

    Parameters
    ----------
    spec
        A validated :class:`~cbeclab.survey.spec.SurveySpec` (see :func:`load_survey_spec`).
    progress
        Called as ``progress(done, total)`` while the bootstrap runs.
    data
        Responses as a DataFrame instead of ``spec.data.path`` (e.g. a generated survey).

    Returns
    -------
    SurveyResult

    Raises
    ------
    DataError
        Bad input (missing/non-numeric/out-of-range/constant items), before any model is fitted.
    ModelError
        A model cannot be fitted.
    """
    timings: dict[str, float] = {}
    notes: list[str] = []
    th = thresholds_for(spec.thresholds)
    t = time.perf_counter()
    if data is None:
        path = spec.resolve(spec.data.path)
        raw = read_table(
            path,
            sheet=spec.data.sheet,
            encoding=spec.data.encoding,
            header_row=spec.data.header_row,
            skip_footer=spec.data.skip_footer,
        )
        source = str(spec.data.path)
    else:
        raw = read_table(data)
        source = "data"
    if raw.attrs.get("synthetic") or "synthetic" in source.lower():
        notes.append(_("the responses are SYNTHETIC (generated), not real questionnaires"))
    _check_group_column(spec, raw)  # before any model is fitted
    fiml = spec.missing in ("ml", "ml.x")
    pairwise = spec.missing == "pairwise"  # ordered items: polychorics on the available answers
    item_cols = spec.columns_for([str(c) for c in raw.columns])
    var_labels = raw.attrs.get("column_labels") or {}
    if var_labels:  # SPSS variable labels are the item texts the spec does not give
        spec = spec.with_item_texts({i: str(var_labels.get(col, "")) for i, col in item_cols.items()})
    checked = check_items(
        raw,
        spec.items,
        likert=spec.likert,
        missing="listwise" if fiml or pairwise else spec.missing,
        reverse=spec.reversed_items,
        source=source,
        columns=item_cols,
    )
    notes.extend(checked.notes)
    X = checked.data
    X_sem = X
    if fiml or pairwise:  # descriptives, EFA, reliability on complete rows; CFA and SEM on all rows
        X_sem = check_items(
            raw,
            spec.items,
            likert=spec.likert,
            missing="keep",
            reverse=spec.reversed_items,
            source=source,
            columns=item_cols,
        ).data
        if fiml:
            notes.append(
                _(
                    "CFA and SEM: full-information ML (missing = {m}) on {n} rows",
                    m=spec.missing,
                    n=len(X_sem),
                )
            )
    sem_opts: dict[str, Any] = {
        "estimator": spec.estimator,
        "missing": spec.missing if fiml or pairwise else "listwise",
    }
    if spec.ordinal:  # every item ordered: WLSMV / ULSMV on thresholds and polychoric correlations
        sem_opts["ordered"] = True
        notes.append(
            _(
                "CFA and SEM: the items are ordered; estimator {e} on thresholds and polychoric "
                "correlations ({n} rows, missing = {m})",
                e=spec.estimator,
                n=len(X_sem),
                m="pairwise" if pairwise else "listwise",
            )
        )
    t = _timed(timings, "load_check", t)

    desc = describe_items(X)
    k = kmo(X)
    bart = bartlett_sphericity(X)
    t = _timed(timings, "descriptives_kmo_bartlett", t)

    efa_res: EFAResult | None = None
    if spec.efa.enabled:
        n_f = spec.efa.n_factors or len(spec.constructs)
        efa_res = efa(X, n_factors=n_f, fm=spec.efa.method, rotate=spec.efa.rotation)
        if not efa_res.converged:
            notes.append(
                _(
                    "EFA ({method}) stopped after {iterations} iterations without converging",
                    method=spec.efa.method,
                    iterations=efa_res.iterations,
                )
            )
    t = _timed(timings, "efa", t)

    alphas = {c: cronbach_alpha(X[list(cs.items)]) for c, cs in spec.constructs.items()}
    t = _timed(timings, "alpha", t)

    from cbeclab.sem.model import Model

    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always", CbecWarning)
        cfa = Model(spec.measurement_syntax()).fit(X_sem, **sem_opts)
        by_c = {c: list(cs.items) for c, cs in spec.constructs.items()}
        lam = cfa.params[cfa.params["op"] == "=~"]
        loadings = {c: lam.loc[lam["lhs"] == c, "std_all"].astype(float) for c in by_c}
        rel = composite_reliability(loadings)
        phi = latent_correlations(cfa.params, list(by_c))
        fl = fornell_larcker(phi, ave={str(k): float(v) for k, v in rel.table["ave"].items()})
        ht = htmt(X, by_c, cutoff=th["htmt"].value)
        mv = msv_asv_table(phi)
        t = _timed(timings, "cfa_reliability_validity", t)

        harman: HarmanResult | None = None
        one_vs: SingleFactorComparison | None = None
        if spec.cmb:
            harman = harman_single_factor(X)
            name = "CMV" if "CMV" not in spec.constructs else "CMV_"
            one = Model(f"{name} =~ " + " + ".join(map(str, X.columns))).fit(X_sem, **sem_opts)
            one_vs = single_factor_comparison(one, cfa)
            if spec.estimator != "ML":
                notes.append(
                    _(
                        "the one-factor comparison uses the unscaled chi-square difference; "
                        "under {e} a scaled difference test would be preferable",
                        e=spec.estimator,
                    )
                )
            t = _timed(timings, "common_method_bias", t)

        inv_tab, inv_groups, mi_tab = _sem_extras(spec, raw, X_sem, sem_opts, notes)
        if spec.sem.invariance is not None or spec.sem.modindices is not None:
            t = _timed(timings, "invariance_modindices", t)

        sem = Model(spec.full_syntax()).fit(X_sem, **sem_opts)
        t = _timed(timings, "sem", t)

        boot: BootstrapResult | None = None
        meds: tuple[MediationResult, ...] = ()
        if not sem.converged:
            notes.append(_("the structural model did not converge; treat its estimates with caution"))
        _check_mediation_paths(spec, sem.params)  # mediation links and hypotheses name paths the model has
        if spec.mediation:
            if fiml or spec.estimator != "ML":
                notes.append(
                    _(
                        "the bootstrap of the indirect effects refits by ML on the complete rows ({n}); "
                        "a bootstrap under {e} / missing = {m} is not built yet",
                        n=len(X),
                        e=spec.estimator,
                        m=spec.missing,
                    )
                )
            bs = spec.bootstrap
            try:
                boot = bootstrap(
                    spec.full_syntax(),
                    X,
                    n_boot=bs.draws,
                    seed=spec.seed,
                    ci=bs.ci,
                    level=bs.level,
                    scheduler=spec.scheduler,
                    n_jobs=bs.n_jobs,
                    progress=progress,
                )
            except SpecError as exc:  # name the spec file and field the scheduler came from
                raise SpecError(exc.message, where=f"{spec.source}: field scheduler", fix=exc.fix) from None
            t = _timed(timings, "bootstrap", t)
            meds = tuple(
                mediation(
                    sem, X, x=m.x, y=m.y, mediators=m.m, boot=boot, ci=bs.ci, level=bs.level, seed=spec.seed
                )
                for m in spec.mediation
            )
        t = _timed(timings, "mediation", t)
    for w in caught:
        if issubclass(w.category, CbecWarning):
            notes.append(str(w.message))
        else:  # not ours to summarise: pass it on unchanged
            _warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for r in (cfa, sem):
        notes.extend(str(w) for w in r.warnings)
    for m in meds:
        notes.extend(m.notes)

    return SurveyResult(
        spec=spec,
        checked=checked,
        descriptives=desc,
        kmo=k,
        bartlett=bart,
        efa=efa_res,
        alpha=alphas,
        cfa=cfa,
        reliability=rel,
        fornell_larcker=fl,
        htmt_result=ht,
        sem=sem,
        bootstrap=boot,
        mediation=meds,
        thresholds=th,
        warnings=tuple(dict.fromkeys(notes)),
        timings=timings,
        harman=harman,
        single_factor=one_vs,
        msv_asv=mv,
        profile=_profile(raw, X, spec.profile),
        invariance=inv_tab,
        invariance_groups=inv_groups,
        modindices=mi_tab,
    )


def _sem_extras(
    spec: SurveySpec, raw: pd.DataFrame, X_sem: pd.DataFrame, sem_opts: dict[str, Any], notes: list[str]
) -> tuple[pd.DataFrame | None, tuple[tuple[str, int], ...], pd.DataFrame | None]:
    """Measurement invariance across ``spec.sem.invariance.group`` and the modification indices of
    the measurement model (``cbeclab.sem.multigroup.invariance`` / ``cbeclab.sem.modindices``)."""
    from cbeclab.sem.model import Model
    from cbeclab.sem.modindices import modindices
    from cbeclab.sem.multigroup import invariance

    cfa_model = Model(spec.measurement_syntax())
    inv_tab: pd.DataFrame | None = None
    groups: tuple[tuple[str, int], ...] = ()
    if spec.sem.invariance is not None:
        col = spec.sem.invariance.group
        _check_group_column(spec, raw)
        g = raw.loc[X_sem.index, col]
        labels = (raw.attrs.get("value_labels") or {}).get(col) or {}  # .sav labels; the spec's at print time
        g = g.map(lambda v: _label(v, labels))
        data = X_sem.assign(**{"__group__": g})
        inv_tab = invariance(cfa_model, data, "__group__", **sem_opts)
        counts = data["__group__"].dropna().value_counts(sort=False)
        groups = tuple((str(k), int(v)) for k, v in counts.items())
        if spec.estimator == "MLM":
            notes.append(_("the invariance steps under MLM use the unscaled chi-square difference"))
    mi_tab: pd.DataFrame | None = None
    if spec.sem.modindices is not None:
        mi = modindices(cfa_model, X_sem, missing=sem_opts["missing"], minimum_value=spec.sem.modindices.min)
        mi_tab = mi[["lhs", "op", "rhs", "mi", "epc", "sepc_all"]].head(spec.sem.modindices.top)
        if spec.estimator != "ML":
            notes.append(
                _(
                    "the modification indices are ML score tests (expected information), as lavaan's "
                    "modindices; they are not scaled for {e}",
                    e=spec.estimator,
                )
            )
    return inv_tab, groups, mi_tab


def _check_group_column(spec: SurveySpec, raw: pd.DataFrame) -> None:
    """The invariance group column must be in the data (checked before any model is fitted), and
    invariance / modification indices are ML-family only (not built for ordered items)."""
    asked = [k for k in ("invariance", "modindices") if getattr(spec.sem, k) is not None]
    if asked and getattr(spec, "ordinal", False):
        raise SpecError(
            _("sem.{k} is not available for ordered items (WLSMV/ULSMV) yet", k=asked[0]),
            where=f"{spec.source}: field sem.{asked[0]}",
            fix=_("drop sem.{k}, or treat the items as continuous (ordinal: false)", k=asked[0]),
        )
    if spec.sem.invariance is None:
        return
    col = spec.sem.invariance.group
    if col not in raw.columns:
        close = difflib.get_close_matches(col, [str(c) for c in raw.columns], n=3)
        raise SpecError(
            _("the invariance group column {col!r} is not in the data", col=col),
            where=f"{spec.source}: field sem.invariance.group",
            fix=_("name a data column; close matches: {v}", v=", ".join(close) or "-"),
        )


def _label(v: Any, labels: dict[Any, str]) -> Any:
    """A group code shown by its value label (1 and 1.0 and "1" are one code)."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    key = int(v) if isinstance(v, float) and v.is_integer() else v
    for k in (key, str(key)):
        if k in labels:
            return str(labels[k])
    return str(key)


def _profile(raw: pd.DataFrame, used: pd.DataFrame, columns: list[str]) -> pd.DataFrame | None:
    """Sample profile of the respondents used (the rows kept by the item checks), codes shown with
    the .sav value labels; the spec's ``value_labels`` are applied when printing, in its language."""
    if not columns:
        return None
    rows = raw.loc[raw.index.intersection(used.index)] if len(used) < len(raw) else raw
    return sample_profile(rows, columns, value_labels=raw.attrs.get("value_labels") or {})


def _check_mediation_paths(spec: SurveySpec, params: pd.DataFrame) -> None:
    """Every link a mediation hypothesis needs must be a regression of the structural model."""
    reg = params[params["op"] == "~"]
    edges = set(zip(reg["rhs"].astype(str), reg["lhs"].astype(str)))
    for i, med in enumerate(spec.mediation):
        if med.design == "serial":
            chain = [med.x, *med.m, med.y]
            need = list(zip(chain[:-1], chain[1:]))
        else:
            need = [(med.x, m) for m in med.m] + [(m, med.y) for m in med.m]
        missing = [f"{a} -> {b}" for a, b in need if (a, b) not in edges]
        if missing:
            raise SpecError(
                _(
                    "mediation {label} ({design}) needs the path(s) {v1}, which the structural model does not contain",
                    label=med.label,
                    design=med.design,
                    v1=", ".join(missing),
                ),
                where=f"{spec.source}: field mediation.{i}",
                fix=_("add the path(s) to `model` or correct the mediation entry"),
            )
    chains = {(med.x, *med.m, med.y) for med in spec.mediation}
    for h, text in spec.hypotheses.items():
        parts = tuple(p.strip() for p in text.replace("→", "->").split("->"))
        if len(parts) == 2 and (parts[0], parts[1]) not in edges:
            raise SpecError(
                f"hypothesis {h} names the path {parts[0]} -> {parts[1]}, which the structural model does "
                "not contain (it would be missing from the path table)",
                where=f"{spec.source}: field hypotheses.{h}",
                fix="add the path to `model`, or correct or remove the hypothesis",
            )
        if len(parts) > 2 and parts not in chains:
            raise SpecError(
                f"hypothesis {h} names the chain {' -> '.join(parts)}, which is not a `mediation` entry "
                "(it would be missing from the mediation table)",
                where=f"{spec.source}: field hypotheses.{h}",
                fix=f"add a mediation entry {{x: {parts[0]}, m: {list(parts[1:-1])}, y: {parts[-1]}}}, or "
                "remove the hypothesis",
            )
