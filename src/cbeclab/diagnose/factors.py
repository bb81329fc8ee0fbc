r"""Influencing-factor summary of an SEM result (seed 000 style), in plain words (zh/en).

Seed 000 (Zhu & Lu, §4.4-§4.5, §5) reads its structural model as: which factor paths are significant
(p < .05), which are not (cluster enterprise factors, p = 0.058), and how much of each factor's total
effect runs directly or through the mediator (industrial transformation and upgrading: 23 % of the
industrial-cluster factor's effect, 26.5 % of the local-government factor's effect, Table 5).

Given a fitted model's parameter table (lavaan columns ``lhs, op, rhs, est, se, z, pvalue, std_all``)
and optionally a mediation table (:class:`cbeclab.sem.mediation.MediationResult` or its verdict rows),
:func:`summarize_factors` lists

* every regression path ``y ~ x`` with ``significant = pvalue < alpha``;
* for every (x, y) pair with a mediator: direct, indirect and total effects, the shares
  :math:`s_{ind} = \text{indirect}/\text{total}` and :math:`s_{dir} = \text{direct}/\text{total}`, the
  verdict (full / partial / none). Without a mediation table the effects are products of the path
  estimates (:math:`a b` for ``x -> m -> y``; :math:`c'` direct) and the indirect effect counts as
  significant when every link is (joint-significance test, MacKinnon et al. 2002, *Psychological
  Methods* 7, 83-104); no CI is given then;
* sentences from ``factor_templates`` in ``rules/recommendations.yaml``;
* the roles (enterprise, cluster, government, upgrading or the user's own) of significant,
  non-significant and mediated predictors, which key the seed-000 recommendations.

Checked against: seed 000 Table 4 and Table 5 (tests/test_diagnose_factors.py): the summary marks
F1 -> Y non-significant, recovers the 77 % / 23 % and 73.5 % / 26.5 % direct / indirect shares of
Table 5 (the prose of §4.5 swaps the two shares for local government; the table is followed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _, pick

__all__ = ["FactorSummary", "summarize_factors"]

_PARAM_COLS = ("lhs", "op", "rhs", "est", "pvalue")


@lru_cache(maxsize=1)
def _templates() -> dict[str, dict[str, str]]:
    from cbeclab.diagnose.modes import _package_yaml

    data = _package_yaml("rules/recommendations.yaml").get("factor_templates")
    if not isinstance(data, Mapping):
        raise SpecError(_("factor_templates missing"), where="cbeclab/diagnose/rules/recommendations.yaml")
    return {str(k): {"en": str(v["en"]), "zh": str(v["zh"])} for k, v in data.items()}


def _p_text(p: float) -> str:
    if not math.isfinite(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _n(x: Any, digits: int = 3) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if not math.isfinite(f) else f"{f:.{digits}f}"


def _f(x: Any) -> float:
    """float, with None / missing / text -> NaN."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _pct(x: Any) -> str:
    f = float(x)
    return "n/a" if not math.isfinite(f) else f"{f:.1%}"


@dataclass(frozen=True)
class FactorSummary:
    """Result of :func:`summarize_factors`.

    ``paths``: predictor, outcome, est, se, z, pvalue, std_all, significant, role, text_en, text_zh.
    ``effects``: x, y, mediators, direct, indirect, total, direct_share, indirect_share,
    indirect_ci_lower, indirect_ci_upper, indirect_significant, direct_significant, verdict, source,
    text_en, text_zh.
    """

    paths: pd.DataFrame
    effects: pd.DataFrame
    alpha: float
    significant_roles: tuple[str, ...]
    nonsignificant_roles: tuple[str, ...]
    mediated_roles: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def sentences(self, lang: str = "en") -> list[str]:
        col = pick("text_en", "text_zh", lang)
        return list(self.paths[col]) + list(self.effects[col])

    def to_frame(self) -> pd.DataFrame:
        return self.paths.copy()

    def to_dict(self) -> dict[str, Any]:
        from cbeclab.models._common import records

        return {
            "alpha": self.alpha,
            "paths": records(self.paths),
            "effects": records(self.effects),
            "significant_roles": list(self.significant_roles),
            "nonsignificant_roles": list(self.nonsignificant_roles),
            "mediated_roles": list(self.mediated_roles),
            "notes": list(self.notes),
        }


def _params_frame(result: Any) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        p = result
    elif hasattr(result, "params") and isinstance(result.params, pd.DataFrame):
        p = result.params
    elif isinstance(result, Mapping) and "params" in result:
        p = pd.DataFrame(list(result["params"]))
    elif isinstance(result, Sequence) and not isinstance(result, str):
        p = pd.DataFrame(list(result))
    else:
        raise DataError(
            _("cannot read SEM parameters"),
            where="sem result",
            fix=_("pass an SEMResult, its params frame or its to_dict()"),
        )
    missing = [c for c in _PARAM_COLS if c not in p.columns]
    if missing:
        raise DataError(
            _("SEM parameter table lacks columns {missing}", missing=missing),
            where="sem result params",
            fix=_("use lavaan parameterEstimates columns lhs, op, rhs, est, se, z, pvalue, std_all"),
        )
    return p


def _verdict_rows(mediation: Any) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """(verdicts, effects) frames from a MediationResult, its to_dict(), or a verdict table/records."""
    if mediation is None:
        return None, None
    if hasattr(mediation, "verdicts") and isinstance(mediation.verdicts, pd.DataFrame):
        return mediation.verdicts, getattr(mediation, "effects", None)
    if isinstance(mediation, Mapping) and "verdicts" in mediation:
        eff = mediation.get("effects")
        return pd.DataFrame(list(mediation["verdicts"])), (None if eff is None else pd.DataFrame(list(eff)))
    if isinstance(mediation, pd.DataFrame):
        return mediation, None
    if isinstance(mediation, Sequence) and not isinstance(mediation, str):
        return pd.DataFrame(list(mediation)), None
    raise DataError(
        _("cannot read the mediation table"),
        where="mediation",
        fix=_("pass a MediationResult or its to_dict()"),
    )


def _mediators_from_effects(effects: pd.DataFrame | None, x: str, y: str) -> str | None:
    if effects is None or not {"x", "y", "effect", "path"} <= set(effects.columns):
        return None
    rows = effects[(effects["x"] == x) & (effects["y"] == y) & (effects["effect"] == "indirect")]
    if "specific" in rows:
        rows = rows[~rows["specific"].astype(bool)]
    if rows.empty:
        return None
    path = str(rows["path"].iloc[0])
    if "[" in path and "]" in path:
        return path[path.index("[") + 1 : path.index("]")]
    parts = [s.strip() for s in path.replace("→", "->").split("->")]
    return ", ".join(parts[1:-1]) or None


def summarize_factors(
    sem: Any,
    mediation: Any = None,
    *,
    alpha: float = 0.05,
    roles: Mapping[str, str] | None = None,
    labels: Mapping[str, Mapping[str, str] | str] | None = None,
) -> FactorSummary:
    """Significant and non-significant factor paths, direct vs mediated shares, in zh/en sentences.

    Parameters
    ----------
    sem
        ``SEMResult``, its ``params`` frame, its ``to_dict()`` or a list of parameter rows.
    mediation
        Optional ``MediationResult``, its ``to_dict()``, or verdict rows (x, y, indirect, direct,
        total, indirect_ci_lower/upper, direct_ci_lower/upper, verdict[, mediators]).
    alpha
        Significance level for the path p-values (default 0.05, seed 000).
    roles
        ``variable -> role`` (e.g. ``{"F1": "enterprise", "F2": "cluster", "F3": "government",
        "M": "upgrading"}``) for the recommendation triggers.
    labels
        ``variable -> name`` or ``variable -> {"en": ..., "zh": ...}`` used in the sentences.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"lhs": ["Y", "Y"], "op": ["~", "~"], "rhs": ["A", "B"],
    ...                   "est": [0.4, 0.1], "pvalue": [0.001, 0.2]})
    >>> s = summarize_factors(p)
    >>> s.paths["significant"].tolist()
    [True, False]
    """
    if not (isinstance(alpha, int | float) and 0 < float(alpha) < 1):
        raise SpecError(
            _("alpha={alpha!r} must be in (0, 1)", alpha=alpha), where="alpha", fix=_("use e.g. 0.05")
        )
    P = _params_frame(sem)
    reg = P[P["op"] == "~"].copy()
    if reg.empty:
        raise DataError(_("the SEM has no regression (~) paths to summarise"), where="sem result params")
    T = _templates()
    roles = dict(roles or {})

    def name(v: str, lang: str) -> str:
        if labels and v in labels:
            lab = labels[v]
            return str(lab.get(lang, lab.get("en", v))) if isinstance(lab, Mapping) else str(lab)
        return v

    pv = pd.to_numeric(reg["pvalue"], errors="coerce").to_numpy(dtype=float)
    est = pd.to_numeric(reg["est"], errors="coerce").to_numpy(dtype=float)
    std = (
        pd.to_numeric(reg["std_all"], errors="coerce").to_numpy(dtype=float)
        if "std_all" in reg
        else np.full(len(reg), np.nan)
    )
    sig = np.isfinite(pv) & (pv < alpha)
    paths = pd.DataFrame(
        {
            "predictor": reg["rhs"].astype(str).to_numpy(),
            "outcome": reg["lhs"].astype(str).to_numpy(),
            "est": est,
            "se": pd.to_numeric(reg["se"], errors="coerce").to_numpy(dtype=float) if "se" in reg else np.nan,
            "z": pd.to_numeric(reg["z"], errors="coerce").to_numpy(dtype=float) if "z" in reg else np.nan,
            "pvalue": pv,
            "std_all": std,
            "significant": sig,
        }
    )
    paths["role"] = [roles.get(x) for x in paths["predictor"]]
    for lang in ("en", "zh"):
        paths[f"text_{lang}"] = [
            T["path_significant" if s else "path_not_significant"][lang]
            .format(x=name(x, lang), y=name(y, lang), est=_n(e), std=_n(sd), p=_p_text(p), alpha=f"{alpha:g}")
            .replace(", standardised n/a", "")
            .replace("，标准化系数 n/a", "")
            for x, y, e, sd, p, s in zip(paths["predictor"], paths["outcome"], est, std, pv, sig)
        ]

    notes: list[str] = []
    verd, eff = _verdict_rows(mediation)
    rows: list[dict[str, Any]] = []
    if verd is not None:
        need = ["x", "y", "indirect", "direct", "total"]
        miss = [c for c in need if c not in verd.columns]
        if miss:
            raise DataError(_("mediation table lacks columns {miss}", miss=miss), where="mediation")
        for _unused, vr in verd.iterrows():
            lo = _f(vr.get("indirect_ci_lower", np.nan))
            hi = _f(vr.get("indirect_ci_upper", np.nan))
            dlo = _f(vr.get("direct_ci_lower", np.nan))
            dhi = _f(vr.get("direct_ci_upper", np.nan))
            i_sig = bool(np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0))
            d_sig = bool(np.isfinite(dlo) and np.isfinite(dhi) and (dlo > 0 or dhi < 0))
            med = vr.get("mediators") if "mediators" in verd.columns else None
            med = med or _mediators_from_effects(eff, str(vr["x"]), str(vr["y"]))
            rows.append(
                dict(
                    x=str(vr["x"]),
                    y=str(vr["y"]),
                    mediators=med,
                    direct=_f(vr["direct"]),
                    indirect=_f(vr["indirect"]),
                    total=_f(vr["total"]),
                    indirect_ci_lower=lo,
                    indirect_ci_upper=hi,
                    indirect_significant=i_sig,
                    direct_significant=d_sig,
                    source="mediation table",
                )
            )
    else:
        # products of path estimates, joint-significance test (one mediator per chain)
        key = {(x, y): (e, s) for x, y, e, s in zip(paths["predictor"], paths["outcome"], est, sig)}
        preds = set(paths["predictor"])
        outs = set(paths["outcome"])
        mediators = sorted(preds & outs)
        finals = sorted(outs - preds)
        for y in finals:
            for x in sorted(preds - outs):
                chains = [m for m in mediators if (x, m) in key and (m, y) in key]
                if not chains:
                    continue
                ind = float(sum(key[(x, m)][0] * key[(m, y)][0] for m in chains))
                i_sig = any(bool(key[(x, m)][1]) and bool(key[(m, y)][1]) for m in chains)
                d, d_sig = key.get((x, y), (0.0, False))
                rows.append(
                    dict(
                        x=x,
                        y=y,
                        mediators=", ".join(chains),
                        direct=float(d),
                        indirect=ind,
                        total=float(d) + ind,
                        indirect_ci_lower=np.nan,
                        indirect_ci_upper=np.nan,
                        indirect_significant=i_sig,
                        direct_significant=bool(d_sig),
                        source="path products (joint significance)",
                    )
                )
        if rows:
            notes.append(
                _(
                    "no mediation table: indirect effects are products of path estimates; an indirect effect counts as significant when each of its links is (joint-significance test), without a CI"
                )
            )
    effects = pd.DataFrame(
        rows,
        columns=[
            "x",
            "y",
            "mediators",
            "direct",
            "indirect",
            "total",
            "indirect_ci_lower",
            "indirect_ci_upper",
            "indirect_significant",
            "direct_significant",
            "source",
        ],
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        tot = effects["total"].to_numpy(dtype=float)
        effects["indirect_share"] = np.where(
            tot != 0, effects["indirect"].to_numpy(dtype=float) / tot, np.nan
        )
        effects["direct_share"] = np.where(tot != 0, effects["direct"].to_numpy(dtype=float) / tot, np.nan)
    effects["verdict"] = np.where(
        ~effects["indirect_significant"].astype(bool),
        "none",
        np.where(effects["direct_significant"].astype(bool), "partial", "full"),
    )
    for lang in ("en", "zh"):
        texts = []
        for rec in effects.to_dict("records"):
            r: dict[str, Any] = {str(k): v for k, v in rec.items()}
            ci = (
                "n/a"
                if not math.isfinite(float(r["indirect_ci_lower"]))
                else f"[{r['indirect_ci_lower']:.3f}, {r['indirect_ci_upper']:.3f}]"
            )
            m = r["mediators"] or ("the mediator" if lang == "en" else "中介变量")
            m = ", ".join(name(v.strip(), lang) for v in str(m).split(",")) if r["mediators"] else m
            texts.append(
                T[f"mediation_{r['verdict']}"][lang].format(
                    x=name(r["x"], lang),
                    y=name(r["y"], lang),
                    m=m,
                    indirect=_n(r["indirect"]),
                    direct=_n(r["direct"]),
                    total=_n(r["total"]),
                    indirect_share=_pct(r["indirect_share"]),
                    direct_share=_pct(r["direct_share"]),
                    ci=ci,
                )
            )
        effects[f"text_{lang}"] = texts
    if ((effects["indirect_share"] < 0) | (effects["indirect_share"] > 1)).any():
        notes.append(
            _("some indirect and direct effects have opposite signs: their shares are not proportions")
        )

    final_outcomes = set(paths["outcome"]) - set(paths["predictor"])
    to_final = paths[paths["outcome"].isin(final_outcomes)] if final_outcomes else paths

    def uniq(vals: Any) -> tuple[str, ...]:
        return tuple(dict.fromkeys(str(v) for v in vals if v is not None and v == v))

    sig_roles = uniq(to_final.loc[to_final["significant"], "role"])
    ns_roles = uniq(to_final.loc[~to_final["significant"], "role"])
    med_roles = uniq(roles.get(x) for x in effects.loc[effects["indirect_significant"].astype(bool), "x"])
    return FactorSummary(
        paths=paths,
        effects=effects,
        alpha=float(alpha),
        significant_roles=sig_roles,
        nonsignificant_roles=ns_roles,
        mediated_roles=med_roles,
        notes=tuple(notes),
    )
