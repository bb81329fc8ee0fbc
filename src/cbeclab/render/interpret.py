"""Rule-based interpretation paragraphs, in the words a paper uses (zh and en).

The sentences are data (``render/interpretation.yaml``); each function below reads numbers that a
result already holds, picks the case (all thresholds met, some missed, ...) and fills the template.
Nothing is estimated here: ranges are the smallest and largest value given, trends compare the first
and last value given. Numbers are printed with :mod:`cbeclab.render.numbers` (3 decimals, p < 0.001).

>>> reliability({"F1": 0.817, "F2": 0.874}, 0.7, lang="en")
"Cronbach's α of the 2 constructs ranges from 0.817 to 0.874, all above 0.700: every scale is internally consistent."
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml

from cbeclab.i18n import _, resolve_lang
from cbeclab.render.numbers import fmt_value, p_clause

__all__ = [
    "adequacy",
    "cmb",
    "coupling",
    "coupling_rows",
    "empowerment",
    "fit",
    "gm11",
    "invariance",
    "join_names",
    "mediation",
    "modes",
    "modindices",
    "msv_asv",
    "obstacles",
    "paths",
    "reliability",
    "sentence",
    "synergy",
    "validity",
]


@cache
def _templates() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("cbeclab.render").joinpath("interpretation.yaml").read_text(encoding="utf-8")
    # libyaml's safe loader when PyYAML has it: the same mapping, read several times faster
    return dict(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))  # noqa: S506


def sentence(topic: str, case: str, lang: str | None = None, **fields: Any) -> str:
    """The template ``topic.case`` in ``lang`` with ``fields`` filled in."""
    lg = resolve_lang(lang)
    return _templates()[topic][case][lg].format(**fields)


def _n(x: Any) -> str:
    return fmt_value(x, "float")


def join_names(names: Sequence[str], lang: str | None = None) -> str:
    """``A, B and C`` / ``A、B和C``."""
    items = [str(n) for n in names]
    if len(items) <= 1:
        return "".join(items)
    sep = _(", ", lang=lang)
    return sep.join(items[:-1]) + _(" and ", lang=lang) + items[-1]


def reliability(alphas: Mapping[str, float], threshold: float = 0.7, lang: str | None = None) -> str:
    """Cronbach's α of every construct against ``threshold`` (Nunnally 1978: 0.7)."""
    vals = list(alphas.values())
    failed = [k for k, v in alphas.items() if not v > threshold]
    f = {"n": len(vals), "lo": _n(min(vals)), "hi": _n(max(vals)), "threshold": _n(threshold)}
    if not failed:
        return sentence("reliability", "all_pass", lang, **f)
    return sentence("reliability", "some_fail", lang, failed=join_names(failed, lang), **f)


def adequacy(
    kmo: float,
    chisq: float,
    df: int,
    p: float,
    threshold: float = 0.7,
    alpha: float = 0.05,
    lang: str | None = None,
) -> str:
    """KMO against ``threshold`` and Bartlett's test at level ``alpha``."""
    f = {"kmo": _n(kmo), "chisq": _n(chisq), "df": int(df), "p": p_clause(p), "threshold": _n(threshold)}
    case = "pass" if kmo > threshold and p < alpha else "fail"
    return sentence("adequacy", case, lang, **f)


def validity(
    ave: Mapping[str, float],
    cr: Mapping[str, float],
    fl_ok: Mapping[str, bool | None],
    ave_th: float = 0.5,
    cr_th: float = 0.7,
    lang: str | None = None,
) -> str:
    """Convergent (AVE, CR) and discriminant (Fornell–Larcker) validity."""
    f = {
        "ave_lo": _n(min(ave.values())),
        "ave_hi": _n(max(ave.values())),
        "cr_lo": _n(min(cr.values())),
        "cr_hi": _n(max(cr.values())),
        "ave_th": _n(ave_th),
        "cr_th": _n(cr_th),
    }
    failed = [k for k in ave if not (ave[k] > ave_th and cr.get(k, 0.0) > cr_th)]
    if failed:
        return sentence("validity", "weak", lang, failed=join_names(failed, lang), **f)
    fl_failed = [k for k, v in fl_ok.items() if v is False]
    if fl_failed:
        return sentence("validity", "convergent_only", lang, fl_failed=join_names(fl_failed, lang), **f)
    return sentence("validity", "all_pass", lang, **f)


def fit(indices: Sequence[tuple[str, float, bool | None]], lang: str | None = None) -> str:
    """Fit indices ``(name, value, passes)`` against their thresholds."""
    values = _(", ", lang=lang).join(f"{name} = {_n(v)}" for name, v, _ok in indices)
    failed = [name for name, _v, ok in indices if ok is False]
    if not failed:
        return sentence("fit", "all_pass", lang, values=values)
    return sentence("fit", "some_fail", lang, values=values, failed=join_names(failed, lang))


def paths(rows: Sequence[tuple[str, str, float, float, bool]], lang: str | None = None) -> str:
    """Hypothesised paths ``(hypothesis, path, standardized estimate, p, supported)``."""
    values = _("; ", lang=lang).join(f"{path}: β = {_n(b)}, p {p_clause(p)}" for _h, path, b, p, _s in rows)
    yes = [h for h, _p, _b, _pv, s in rows if s]
    no = [h for h, _p, _b, _pv, s in rows if not s]
    f = {"n": len(rows), "values": values}
    if not no:
        return sentence("paths", "all_supported", lang, hyps=join_names(yes, lang), **f)
    if not yes:
        return sentence("paths", "none_supported", lang, **f)
    return sentence(
        "paths", "some_supported", lang, hyps=join_names(yes, lang), rejected=join_names(no, lang), **f
    )


def mediation(
    hypothesis: str,
    model: str,
    verdict: str,
    est: float,
    lo: float,
    hi: float,
    level: float,
    lang: str | None = None,
) -> str:
    """One mediation test: verdict ``full`` / ``partial`` / anything else (no mediation)."""
    case = verdict if verdict in ("full", "partial") else "none"
    hyp = f"{hypothesis} " if hypothesis else ""
    mod = f"({model})" if model else ""
    return sentence(
        "mediation",
        case,
        lang,
        hyp=hyp,
        model=mod,
        est=_n(est),
        lo=_n(lo),
        hi=_n(hi),
        level=f"{100 * level:g}",
    )


def _trend(first: float, last: float, lang: str | None) -> str:
    case = "up" if last > first else "down" if last < first else "flat"
    return sentence("trend", case, lang)


def _most_common(labels: Sequence[str]) -> tuple[str, int]:
    return Counter(labels).most_common(1)[0]


def synergy(series: Mapping[str, Sequence[tuple[Any, float, str]]], lang: str | None = None) -> str:
    """Synergy degree per entity: ``{entity: [(period, synergy, stage name), ...]}`` in period order."""
    clean = {e: [r for r in rows if r[1] == r[1]] for e, rows in series.items()}
    clean = {e: rows for e, rows in clean.items() if rows}
    if len(clean) == 1:
        ((entity, rows),) = clean.items()
        (p0, v0, _s0), (p1, v1, s1) = rows[0], rows[-1]
        return sentence(
            "synergy",
            "one",
            lang,
            entity=entity,
            first=_n(v0),
            last=_n(v1),
            p0=fmt_value(p0, "period"),
            p1=fmt_value(p1, "period"),
            trend=_trend(v0, v1, lang),
            stage=s1,
        )
    last = {e: rows[-1] for e, rows in clean.items()}
    lo_e = min(last, key=lambda e: last[e][1])
    hi_e = max(last, key=lambda e: last[e][1])
    stage, n_stage = _most_common([r[2] for r in last.values()])
    return sentence(
        "synergy",
        "many",
        lang,
        n=len(last),
        lo=_n(last[lo_e][1]),
        lo_entity=lo_e,
        hi=_n(last[hi_e][1]),
        hi_entity=hi_e,
        stage=stage,
        n_stage=n_stage,
    )


def coupling_rows(frame: Any, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The fields :func:`coupling` reads, from a latest-period table (``grade`` already in the language).

    Only those seven columns are turned into records (a national panel's table has one row per
    entity and a column per subsystem; converting every column cost a quarter of a second).
    """
    wanted = ("entity", "period", "C", "T", "D", "grade", "lagging")
    frame = frame[[c for c in frame.columns if c in wanted]]
    return [
        {
            "entity": str(r["entity"]),
            "period": r["period"],
            "C": r["C"],
            "T": r["T"],
            "D": r["D"],
            "grade": r["grade"],
            "lagging": names.get(str(r["lagging"]), str(r["lagging"])),
        }
        for r in frame.to_dict("records")
    ]


def coupling(latest: Sequence[Mapping[str, Any]], lang: str | None = None) -> str:
    """Latest coupling row per entity: mappings with entity, period, C, T, D, grade, lagging (display names)."""
    if len(latest) == 1:
        r = latest[0]
        return sentence(
            "coupling",
            "one",
            lang,
            period=fmt_value(r["period"], "period"),
            entity=r["entity"],
            D=_n(r["D"]),
            C=_n(r["C"]),
            T=_n(r["T"]),
            grade=r["grade"],
            lagging=r["lagging"],
        )
    lo = min(latest, key=lambda r: r["D"])
    hi = max(latest, key=lambda r: r["D"])
    grade, n_grade = _most_common([str(r["grade"]) for r in latest])
    lag, n_lag = _most_common([str(r["lagging"]) for r in latest])
    return sentence(
        "coupling",
        "many",
        lang,
        lo=_n(lo["D"]),
        lo_entity=lo["entity"],
        hi=_n(hi["D"]),
        hi_entity=hi["entity"],
        grade=grade,
        n_grade=n_grade,
        n=len(latest),
        lagging=lag,
        n_lagging=n_lag,
    )


def obstacles(
    entity: str,
    period: Any,
    top: Sequence[tuple[str, float]],
    subsystem: tuple[str, float],
    lang: str | None = None,
) -> str:
    """Top obstacle indicators ``(name, obstacle degree)`` and the subsystem with the largest share."""
    tops = _(", ", lang=lang).join(f"{name} ({_n(v)})" for name, v in top)
    return sentence(
        "obstacles",
        "one",
        lang,
        entity=entity,
        period=fmt_value(period, "period"),
        top=tops,
        subsystem=subsystem[0],
        share=_n(subsystem[1]),
    )


def gm11(params: Sequence[Mapping[str, Any]], lang: str | None = None) -> list[str]:
    """GM(1,1) parameter rows (``status``, ``a``, ``C``): what was fitted, what was refused."""
    ok = [r for r in params if r.get("status") == "ok"]
    out = []
    if ok:
        a = [float(r["a"]) for r in ok]
        c = [float(r["C"]) for r in ok]
        out.append(
            sentence(
                "gm11",
                "fitted",
                lang,
                n_ok=len(ok),
                n=len(params),
                a_lo=_n(min(a)),
                a_hi=_n(max(a)),
                c_lo=_n(min(c)),
                c_hi=_n(max(c)),
            )
        )
    if len(ok) < len(params):
        out.append(sentence("gm11", "refused", lang, n_refused=len(params) - len(ok), n=len(params)))
    return out


def modes(
    city: str,
    ranking: Sequence[tuple[str, float, float]],
    n_fired: int,
    unmet: Sequence[str] = (),
    lang: str | None = None,
) -> list[str]:
    """Mode ranking ``(name, score, max score)`` best first, rules fired and unmet preconditions."""
    (top, s, mx), (second, s2, _m2) = ranking[0], ranking[1]
    out = [
        sentence(
            "modes",
            "ranking",
            lang,
            city=city,
            top=top,
            score=fmt_value(s),
            max=fmt_value(mx),
            second=second,
            score2=fmt_value(s2),
            n_fired=n_fired,
        )
    ]
    if unmet:
        out.append(sentence("modes", "unmet", lang, top=top, unmet=_("; ", lang=lang).join(unmet)))
    return out


def empowerment(
    cluster: str, pattern: str, D: float, grade: str, weakest: str, leading: str, lang: str | None = None
) -> str:
    """The cluster's empowerment pattern (seed 004)."""
    return sentence(
        "empowerment",
        "pattern",
        lang,
        cluster=cluster,
        pattern=pattern,
        D=_n(D),
        grade=grade,
        weakest=weakest,
        leading=leading,
    )


def invariance(
    steps: Sequence[Mapping[Any, Any]],
    groups: str,
    lang: str | None = None,
    *,
    cfi_drop: float = 0.01,
    rmsea_rise: float = 0.015,
) -> str:
    """The invariance sequence (rows of ``cbeclab.sem.multigroup.invariance``: step, cfi, rmsea,
    delta_cfi, delta_rmsea): the last level reached with ΔCFI ≥ −0.01 (Cheung & Rensvold 2002)
    and ΔRMSEA ≤ 0.015 (Chen 2007)."""
    first = steps[0]
    reached = str(first["step"])
    fail: Mapping[str, Any] | None = None
    for row in steps[1:]:
        if float(row["delta_cfi"]) >= -cfi_drop and float(row["delta_rmsea"]) <= rmsea_rise:
            reached = str(row["step"])
        else:
            fail = row
            break
    f = {"groups": groups, "cfi": _n(first["cfi"]), "rmsea": _n(first["rmsea"])}
    if fail is None:
        dc = min(0.0, *(float(r["delta_cfi"]) for r in steps[1:]))
        dr = max(0.0, *(float(r["delta_rmsea"]) for r in steps[1:]))
        return sentence("invariance", "strict", lang, dcfi=_n(-dc), drmsea=_n(dr), **f)
    case = reached if reached in ("configural", "metric", "scalar") else "configural"
    return sentence(
        "invariance",
        case,
        lang,
        dcfi_fail=_n(-float(fail["delta_cfi"])),
        drmsea_fail=_n(float(fail["delta_rmsea"])),
        **f,
    )


def modindices(rows: Sequence[Mapping[Any, Any]], minimum: float, lang: str | None = None) -> str:
    """Modification indices (rows lhs, op, rhs, mi, sepc_all; largest first) at or above ``minimum``."""
    if not rows:
        return sentence("modindices", "none", lang, min=f"{minimum:g}")
    top = rows[0]
    return sentence(
        "modindices",
        "some",
        lang,
        n=len(rows),
        min=f"{minimum:g}",
        top=f"{top['lhs']} {top['op']} {top['rhs']}",
        mi=_n(top["mi"]),
        sepc=_n(top["sepc_all"]),
    )


def cmb(
    share: float, cutoff: float, delta_chisq: float, delta_df: int, delta_p: float, lang: str | None = None
) -> str:
    """Common method bias: Harman's first-factor share (of 1) against ``cutoff`` and the one-factor
    CFA's chi-square difference (Podsakoff et al. 2003)."""
    f = {
        "share": f"{100 * share:.1f}",
        "cut": f"{100 * cutoff:g}",
        "d": _n(delta_chisq),
        "df": int(delta_df),
        "p": p_clause(delta_p),
    }
    if share >= cutoff:
        return sentence("cmb", "harman_fail", lang, **f)
    if delta_p >= 0.05:
        return sentence("cmb", "one_factor_close", lang, **f)
    return sentence("cmb", "pass", lang, **f)


def msv_asv(msv: Mapping[str, float], ave: Mapping[str, float], lang: str | None = None) -> str:
    """MSV against AVE per construct (Hair et al. 2010: MSV < AVE)."""
    failed = [c for c, m in msv.items() if not m < ave.get(c, float("nan"))]
    if failed:
        return sentence("msv_asv", "some_fail", lang, failed=join_names(failed, lang))
    return sentence(
        "msv_asv",
        "all_pass",
        lang,
        msv_lo=_n(min(msv.values())),
        msv_hi=_n(max(msv.values())),
        ave_lo=_n(min(ave.values())),
        ave_hi=_n(max(ave.values())),
    )
