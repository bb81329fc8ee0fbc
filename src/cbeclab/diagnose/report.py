"""A whole diagnosis from one YAML spec, and its JSON / HTML output (issue 4).

The spec names a city profile (development modes, seed 003), a cluster empowerment profile (seed 004),
optionally a panel with the seed002 subsystem mapping (four-subsystem coordination, seed 002, and the
composite-system synergy stage, seed 001) and optionally a fitted SEM result in JSON (influencing
factors, seed 000). :func:`run_diagnosis` calls the diagnose functions and collects their results in
a :class:`DiagnosisReport`; :func:`write_diagnosis` writes ``diagnosis.json`` and ``diagnosis.html``
atomically. The HTML is presentation only: every value is escaped.

Spec (YAML; paths relative to the spec file; bundled profile names such as ``hangzhou`` work too)::

    title: Diagnosis of ...
    lang: en                      # or zh
    city: hangzhou                # city profile (file or bundled name)
    cluster: foshan_home          # cluster empowerment profile (file or bundled name)
    panel:                        # optional
      path: panel.csv
      entity: cluster
      period: year
      framework: seed002          # or subsystems: {cbec: {C1: "+", ...}, ...}
      focus: Synthetic cluster A  # entity whose numbers drive the recommendations (default: first)
    sem:                          # optional
      result: sem_result.json     # SEMResult.to_dict() (may hold "mediation": MediationResult.to_dict())
      mediation: mediation.json   # optional, MediationResult.to_dict()
      roles: {F1: enterprise, F2: cluster, F3: government, M: upgrading}
    synergy: 0.18                 # optional: a synergy degree computed elsewhere (overrides the panel's)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cbeclab.errors import CbecError, DataError, SpecError

__all__ = [
    "DiagnoseSpec",
    "DiagnosisReport",
    "load_diagnose_spec",
    "render_diagnosis_html",
    "run_diagnosis",
    "write_diagnosis",
]

PathLike = str | os.PathLike[str]


class PanelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    entity: str
    period: str
    framework: str | None = "seed002"
    subsystems: dict[str, dict[str, Any]] | None = None
    weights: str = "entropy"
    model: Literal["classical", "modified"] = "classical"
    scope: Literal["pooled", "per_entity"] = "pooled"
    impute: Literal["linear", "interpolate"] | None = None
    focus: str | None = None
    synergy: bool = True
    top_k: int = Field(default=3, ge=1, le=50)


class SemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result: str
    mediation: str | None = None
    alpha: float = Field(default=0.05, gt=0, lt=1)
    roles: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, Any] = Field(default_factory=dict)


class DiagnoseSpec(BaseModel):
    """The ``cbeclab diagnose`` spec (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    lang: Literal["en", "zh"] = "en"
    city: str | None = None
    cluster: str | None = None
    panel: PanelSpec | None = None
    sem: SemSpec | None = None
    synergy: float | None = Field(default=None, ge=-1, le=1)


def sem_inputs(doc: Any) -> tuple[Any, Any, dict[str, Any]]:
    """``(sem result, mediation, construct labels)`` from any of the documents cbeclab writes.

    * ``cbeclab survey``'s ``survey.json``: ``results.sem`` (params, fit), ``results.mediation`` (one
      bootstrap mediation analysis per hypothesis, merged here into one table of verdicts and effects),
      and the constructs' en/zh names from ``spec.constructs``;
    * ``cbeclab sem --json``: ``params`` (and ``mediation`` when present);
    * ``SEMResult.to_dict()`` with an optional ``mediation`` (``MediationResult.to_dict()``).
    """
    labels: dict[str, Any] = {}
    if isinstance(doc, dict) and isinstance(doc.get("results"), dict) and "sem" in doc["results"]:
        r = doc["results"]
        meds = r.get("mediation") or []
        if isinstance(meds, dict):
            meds = [meds]
        med: Any = None
        if meds:
            med = {
                "verdicts": [v for m in meds for v in (m.get("verdicts") or [])],
                "effects": [e for m in meds for e in (m.get("effects") or [])],
            }
        cons = (doc.get("spec") or {}).get("constructs") or {}
        for name, c in cons.items():
            if isinstance(c, dict):
                lab = {k: c[k] for k in ("en", "zh") if c.get(k)}
                if lab:
                    labels[str(name)] = lab
        return r["sem"], med, labels
    if isinstance(doc, dict) and isinstance(doc.get("mediation"), dict):
        return doc, doc["mediation"], labels
    return doc, None, labels


def load_diagnose_spec(path: PathLike) -> tuple[DiagnoseSpec, Path]:
    """Read and validate a diagnose spec; returns (spec, folder the relative paths refer to)."""
    from cbeclab.diagnose.modes import _read_yaml

    p = Path(path)
    raw = _read_yaml(p)
    try:
        spec = DiagnoseSpec.model_validate(raw)
    except ValidationError as exc:
        from cbeclab.spec import format_validation_error

        raise format_validation_error(exc, str(p), doc="docs/diagnose.md", model=DiagnoseSpec) from None
    if not any([spec.city, spec.cluster, spec.panel, spec.sem, spec.synergy is not None]):
        raise SpecError(
            "the spec names nothing to diagnose",
            where=str(p),
            fix="give at least one of city, cluster, panel, sem",
        )
    return spec, p.parent


def _resolve(base: Path, ref: str) -> str | Path:
    """A path relative to the spec folder, or a bundled profile name (no suffix, not a file)."""
    p = Path(ref)
    cand = p if p.is_absolute() else base / p
    if cand.exists() or p.suffix:
        return cand
    return ref


@dataclass(frozen=True)
class DiagnosisReport:
    """Everything a diagnosis found. Each part is None when the spec did not ask for it."""

    title: str
    lang: str
    city: Any = None
    modes: Any = None
    cluster: Any = None
    empowerment: Any = None
    subsystems: Any = None
    synergy: pd.DataFrame | None = None
    factors: Any = None
    diagnosis: Any = None
    recommendations: tuple[Any, ...] = ()
    focus: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        from cbeclab.models._common import json_safe, records

        return json_safe(
            {
                "title": self.title,
                "lang": self.lang,
                "focus": self.focus,
                "city_profile": None if self.city is None else self.city.to_dict(),
                "modes": None if self.modes is None else self.modes.to_dict(),
                "cluster_profile": None if self.cluster is None else self.cluster.to_dict(),
                "empowerment": None if self.empowerment is None else self.empowerment.to_dict(),
                "subsystems4": None if self.subsystems is None else self.subsystems.to_dict(),
                "synergy_stage": None if self.synergy is None else records(self.synergy),
                "factors": None if self.factors is None else self.factors.to_dict(),
                "diagnosis": None if self.diagnosis is None else self.diagnosis.to_dict(),
                "recommendations": [r.to_dict() for r in self.recommendations],
                "notes": list(self.notes),
            }
        )


def _read_json(path: str | Path, what: str) -> Any:
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(
            f"{what} file not found", where=str(p), fix="check the path (relative to the spec)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"cannot read {what} as JSON ({exc})", where=str(p), fix="give the to_dict() JSON"
        ) from None


def run_diagnosis(
    spec: DiagnoseSpec | PathLike | dict[str, Any], base_dir: PathLike | None = None
) -> DiagnosisReport:
    """Run every part of a diagnose spec and collect the results.

    Examples
    --------
    >>> r = run_diagnosis({"city": "zhengzhou", "cluster": "foshan_home"})
    >>> r.modes.top.key, r.empowerment.pattern
    ('b2c_retail_import', 'system_reconstruction')
    """
    from cbeclab.diagnose.empowerment import diagnose_cluster, load_cluster_profile
    from cbeclab.diagnose.factors import summarize_factors
    from cbeclab.diagnose.modes import load_city_profile, rank_modes
    from cbeclab.diagnose.recommend import build_diagnosis, recommend

    if isinstance(spec, DiagnoseSpec):
        s, base = spec, Path(base_dir or ".")
    elif isinstance(spec, dict):
        try:
            s = DiagnoseSpec.model_validate(spec)
        except ValidationError as exc:
            from cbeclab.spec import format_validation_error

            raise format_validation_error(exc, "spec", doc="docs/diagnose.md", model=DiagnoseSpec) from None
        base = Path(base_dir or ".")
    else:
        s, base = load_diagnose_spec(spec)
    notes: list[str] = []
    city = modes = cluster = emp = sub = syn = fac = None
    if s.city:
        city = load_city_profile(_resolve(base, s.city))
        modes = rank_modes(city)
        notes.extend(modes.notes)
    if s.cluster:
        cluster = load_cluster_profile(_resolve(base, s.cluster))
        emp = diagnose_cluster(cluster)
        notes.extend(emp.notes)
    focus = None
    if s.panel is not None:
        from cbeclab.diagnose.subsystems4 import four_subsystem_coordination
        from cbeclab.io.panel import load_panel

        ps = s.panel
        if ps.subsystems is None and not ps.framework:
            raise SpecError("panel needs a framework or a subsystems mapping", where="panel")
        panel = load_panel(base / ps.path, entity=ps.entity, period=ps.period, impute=ps.impute)
        notes.extend(panel.notes)
        sub = four_subsystem_coordination(
            panel.data,
            ps.framework,
            subsystems=ps.subsystems,
            weights=ps.weights,
            model=ps.model,
            scope=ps.scope,
            top_k=ps.top_k,
        )
        notes.extend(sub.notes)
        ents = list(dict.fromkeys(sub.overall.table["entity"]))
        focus = ps.focus if ps.focus is not None else str(ents[0])
        if focus not in [str(e) for e in ents]:
            raise SpecError(
                f"focus entity {focus!r} is not in the panel", where="panel.focus", fix=f"use one of {ents}"
            )
        focus = next(e for e in ents if str(e) == focus)
        if ps.synergy:
            from cbeclab.diagnose.stages import synergy_stage
            from cbeclab.models.synergy import synergy as synergy_model

            if ps.subsystems is not None:
                sys_map = ps.subsystems
            else:
                from cbeclab.frameworks import load_framework

                sys_map = load_framework(ps.framework or "seed002").subsystems()
            sres = synergy_model(panel.data, sys_map, weights=ps.weights)
            syn = synergy_stage(sres)
    if s.sem is not None:
        res = _read_json(base / s.sem.result, "SEM result")
        med = _read_json(base / s.sem.mediation, "mediation") if s.sem.mediation else None
        res, med_in, labels_in = sem_inputs(res)
        med = med if med is not None else med_in
        fac = summarize_factors(
            res, med, alpha=s.sem.alpha, roles=s.sem.roles, labels=s.sem.labels or labels_in or None
        )
        notes.extend(fac.notes)
    syn_arg: Any = s.synergy if s.synergy is not None else syn
    diag = build_diagnosis(
        modes=modes, empowerment=emp, subsystems=sub, synergy=syn_arg, factors=fac, entity=focus
    )
    recs = recommend(diag)
    title = s.title or ("跨境电商发展诊断" if s.lang == "zh" else "CBEC development diagnosis")
    return DiagnosisReport(
        title=title,
        lang=s.lang,
        city=city,
        modes=modes,
        cluster=cluster,
        empowerment=emp,
        subsystems=sub,
        synergy=syn,
        factors=fac,
        diagnosis=diag,
        recommendations=tuple(recs),
        focus=None if focus is None else str(focus),
        notes=tuple(dict.fromkeys(notes)),
    )


# --------------------------------------------------------------------------- HTML

_L = {
    "en": {
        "summary": "Summary",
        "modes": "Pilot-zone development mode (seed 003)",
        "rank": "Ranking of the five modes",
        "fired": "Rules of the top mode",
        "unmet": "Unmet preconditions",
        "profile": "City profile",
        "sources": "Sources",
        "emp": "New quality productive forces empowerment (seed 004)",
        "sub": "Four-subsystem coordination (seed 002)",
        "pairs": "Pairs (latest period)",
        "lag": "Lagging subsystem and its top obstacle indicators",
        "syn": "Synergy stage (seed 001)",
        "fac": "Influencing factors (seed 000)",
        "recs": "Recommendations",
        "notes": "Notes",
        "city": "city",
        "top_mode": "best-fitting mode",
        "cluster": "cluster",
        "pattern": "empowerment pattern",
        "weakest": "weakest dimension",
        "D": "coupling coordination D (focus entity, latest)",
        "lagging": "lagging subsystem",
        "synergy": "synergy degree",
        "stage": "stage",
        "levers": "Policy levers",
        "facts": "Facts from the paper",
        "estimate": "values marked estimate are approximations",
        "measure": "measure",
        "why": "why",
        "citation": "citation",
        "yes": "yes",
        "no": "no",
        "latest": "Latest period per entity",
        "reasons": "Classification tests",
        "paths": "Paths",
        "effects": "Direct and indirect effects",
        "advantages": "Advantages",
        "limitations": "Limitations",
        "preconditions": "Preconditions",
    },
    "zh": {
        "summary": "概览",
        "modes": "综试区发展模式（种子文献003）",
        "rank": "五种模式排序",
        "fired": "首选模式的规则",
        "unmet": "未满足的前提条件",
        "profile": "城市画像",
        "sources": "数据来源",
        "emp": "新质生产力赋能（种子文献004）",
        "sub": "四子系统协调（种子文献002）",
        "pairs": "两两耦合（最新期）",
        "lag": "滞后子系统及其主要障碍指标",
        "syn": "协同阶段（种子文献001）",
        "fac": "影响因素（种子文献000）",
        "recs": "对策建议",
        "notes": "说明",
        "city": "城市",
        "top_mode": "最适合的模式",
        "cluster": "产业集群",
        "pattern": "赋能形态",
        "weakest": "最弱维度",
        "D": "耦合协调度 D（关注对象，最新期）",
        "lagging": "滞后子系统",
        "synergy": "协同度",
        "stage": "阶段",
        "levers": "政策抓手",
        "facts": "文献中的事实",
        "estimate": "标注为估计值的数据为近似值",
        "measure": "举措",
        "why": "依据",
        "citation": "出处",
        "yes": "是",
        "no": "否",
        "latest": "各对象最新期",
        "reasons": "判别检验",
        "paths": "路径",
        "effects": "直接与间接效应",
        "advantages": "优势",
        "limitations": "局限",
        "preconditions": "前提条件",
    },
}


def _dim_name(key: str, lang: str) -> str:
    from cbeclab.diagnose.empowerment import load_empowerment_rules

    for d in load_empowerment_rules().get("dimensions", []):
        if str(d["key"]) == key:
            return str(d.get(lang, key))
    return key


def _ul(items: Any) -> str:
    from cbeclab.render.html import esc

    return "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>"


def render_diagnosis_html(report: DiagnosisReport, lang: str | None = None) -> str:
    """The diagnosis as one self-contained, escaped HTML page (``lang`` "en" or "zh")."""
    from cbeclab.diagnose.modes import load_mode_rules
    from cbeclab.diagnose.recommend import recommendations_frame
    from cbeclab.render.html import Section, esc, html_page, kv_table_html, table_html

    lg = lang or report.lang
    if lg not in _L:
        raise SpecError(f"lang={lg!r} is not supported", where="lang", fix="use en or zh")
    L = _L[lg]
    zh = lg == "zh"
    sections: list[Section] = []
    summary: list[tuple[str, Any]] = []
    if report.modes is not None:
        top = report.modes.top
        summary += [
            (L["city"], report.city.name_zh if zh else report.city.name),
            (L["top_mode"], f"{top.zh if zh else top.en} ({top.score:g}/{top.max_score:g})"),
        ]
    if report.empowerment is not None:
        row = report.empowerment.table.iloc[-1]
        summary += [
            (L["cluster"], report.cluster.name_zh if zh else report.cluster.name),
            (L["pattern"], row["pattern_zh"] if zh else row["pattern_en"]),
            (L["weakest"], _dim_name(str(row["weakest"]), lg)),
        ]
    d = report.diagnosis
    if d is not None and d.coupling_D is not None:
        names = getattr(report.subsystems, "names", {}) or {}
        lag_name = names.get(str(d.lagging_subsystem), {}).get(lg, d.lagging_subsystem)
        summary += [(L["D"], f"{d.coupling_D:.3f}"), (L["lagging"], lag_name)]
    if d is not None and d.synergy is not None:
        stage = d.stage
        if report.synergy is not None and stage is not None:
            hit = report.synergy[report.synergy["stage"] == stage]
            if len(hit):
                stage = hit[f"stage_{lg}"].iloc[0]
        summary += [(L["synergy"], f"{d.synergy:.3f}"), (L["stage"], stage)]
    sections.append(Section(L["summary"], kv_table_html(summary), anchor="summary"))

    if report.modes is not None:
        r = report.modes
        modes, _ = load_mode_rules()
        mode = next(m for m in modes if m.key == r.top.key)
        rank = r.to_frame()[
            [
                "rank",
                "mode_zh" if zh else "mode_en",
                "score",
                "max_score",
                "normalised",
                "n_fired",
                "unmet_preconditions",
            ]
        ]
        fired = pd.DataFrame(
            [
                {
                    "rule": h.rule,
                    "field": h.field,
                    "value": h.value,
                    "op": h.op,
                    "threshold": h.threshold,
                    "points": h.points,
                    "fired": L["yes"] if h.fired else L["no"],
                    "reason": h.reason_zh if zh else h.reason_en,
                    "estimate": L["yes"] if h.estimate else "",
                }
                for h in r.top.hits
            ]
        )
        prof = report.city.to_frame()
        prof = prof.assign(
            meaning=prof["zh" if zh else "en"], estimate=prof["estimate"].map({True: L["yes"], False: ""})
        )
        body = table_html(rank, L["rank"]) + table_html(fired, L["fired"])
        if r.top.unmet_preconditions:
            body += f"<h3>{esc(L['unmet'])}</h3>" + _ul(
                h.reason_zh if zh else h.reason_en for h in r.top.unmet_preconditions
            )
        body += f"<h3>{esc(L['preconditions'])}</h3><p>{esc(mode.preconditions.get(lg, ''))}</p>"
        body += f"<h3>{esc(L['advantages'])}</h3>" + _ul(mode.advantages.get(lg, []))
        body += f"<h3>{esc(L['limitations'])}</h3>" + _ul(mode.limitations.get(lg, []))
        body += table_html(
            prof[["field", "value", "unit", "meaning", "estimate"]], f"{L['profile']} ({L['estimate']})"
        )
        body += f"<h3>{esc(L['sources'])}</h3>" + _ul(report.city.sources)
        if r.notes:
            body += _ul(r.notes)
        sections.append(Section(L["modes"], body, anchor="modes", intro=mode.source))

    if report.empowerment is not None:
        e = report.empowerment
        t = e.table.drop(columns=["entity", "period"], errors="ignore")
        keep = [c for c in t.columns if c.startswith("U_")] + [
            "C",
            "T",
            "D",
            "grade_zh" if zh else "grade_en",
            "pattern_zh" if zh else "pattern_en",
            "weakest",
            "leading",
        ]
        body = table_html(t[keep])
        body += f"<h3>{esc(L['reasons'])}</h3>" + _ul(e.reasons[-1][lg])
        body += f"<h3>{esc(L['levers'])}</h3>" + _ul(f"{x[lg]} ({x['citation']})" for x in e.levers[-1])
        if report.cluster is not None and report.cluster.facts:
            body += f"<h3>{esc(L['facts'])}</h3>" + _ul(
                f"{f.get(lg, f.get('en', ''))} ({f.get('source', '')})" for f in report.cluster.facts
            )
        sections.append(Section(L["emp"], body, anchor="empowerment"))

    if report.subsystems is not None:
        s = report.subsystems
        latest = s.latest()
        body = table_html(latest, L["latest"])
        t = s.overall.table
        last = t.groupby("entity", sort=False)["period"].transform("max") == t["period"]
        lp = s.pairs.merge(t.loc[last, ["entity", "period"]], on=["entity", "period"])
        body += table_html(lp.drop(columns=["grade_en" if zh else "grade_zh"]), L["pairs"])
        lag = s.lagging
        if report.focus is not None:
            lag = lag[lag["entity"].astype(str) == report.focus]
        body += table_html(lag, f"{L['lag']} ({report.focus})")
        body += table_html(t.drop(columns=["grade_en" if zh else "grade_zh"]))
        sections.append(Section(L["sub"], body, anchor="subsystems"))

    if report.synergy is not None:
        cols = ["entity", "period", "synergy", "stage_zh" if zh else "stage_en"]
        sections.append(Section(L["syn"], table_html(report.synergy[cols]), anchor="synergy"))

    if report.factors is not None:
        f = report.factors
        body = _ul(f.sentences(lg))
        body += table_html(f.paths.drop(columns=["text_en", "text_zh"]), L["paths"])
        if len(f.effects):
            body += table_html(f.effects.drop(columns=["text_en", "text_zh"]), L["effects"])
        sections.append(Section(L["fac"], body, anchor="factors"))

    recs = recommendations_frame(list(report.recommendations), lg).rename(
        columns={"measure": L["measure"], "why": L["why"], "citation": L["citation"]}
    )
    sections.append(Section(L["recs"], table_html(recs), anchor="recommendations"))
    if report.notes:
        sections.append(Section(L["notes"], _ul(report.notes), anchor="notes"))
    sub = f"{report.city.name_zh if zh else report.city.name}" if report.city is not None else None
    return html_page(report.title, sections, lang=lg, subtitle=sub, footer="cbeclab diagnose")


def write_diagnosis(report: DiagnosisReport, out_dir: PathLike, lang: str | None = None) -> tuple[Path, Path]:
    """Write ``diagnosis.json`` and ``diagnosis.html`` into ``out_dir`` atomically; returns both paths."""
    from cbeclab.io.atomic import atomic_write_text

    out = Path(out_dir)
    from cbeclab.io.atomic import ensure_dir

    ensure_dir(out)
    data = report.to_dict()
    try:
        text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:  # pragma: no cover - json_safe guards this
        raise CbecError(f"diagnosis could not be serialised ({exc})", where="diagnosis.json") from exc
    html_text = render_diagnosis_html(report, lang)
    try:
        j = atomic_write_text(out / "diagnosis.json", text)
        h = atomic_write_text(out / "diagnosis.html", html_text)
    except OSError as exc:
        raise SpecError(f"cannot write the outputs ({exc.strerror})", where=str(out)) from None
    return j, h
