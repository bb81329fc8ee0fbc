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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cbeclab.errors import CbecError, DataError, SpecError
from cbeclab.i18n import pick

__all__ = [
    "DiagnoseSpec",
    "DiagnosisReport",
    "load_diagnose_spec",
    "build_diagnosis_document",
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
    #: display names of the panel's entities: ``{key: {en: ..., zh: ...}}`` (keys stay as in the data)
    names: dict[str, dict[str, str]] = Field(default_factory=dict)


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

    #: one title, or one a language: ``{en: ..., zh: ...}``
    title: str | dict[str, str] | None = None
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
    #: display names of the panel's entities, ``{key: {lang: name}}`` (spec ``panel.names``)
    entity_names: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the title in each language the spec gives (``title: {en: ..., zh: ...}``; none: a default title)
    titles: dict[str, str] = field(default_factory=dict)

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


def _pick(names: dict[str, str], lang: str) -> str | None:
    """The ``lang`` entry of ``{en: ..., zh: ...}``, else the other language's, else None."""
    return names.get(lang) or next((v for v in names.values() if v), None)


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
    from cbeclab.i18n import _

    entity_names = {str(k): dict(v) for k, v in (s.panel.names if s.panel else {}).items()}
    syn_arg: Any = s.synergy if s.synergy is not None else syn
    diag = build_diagnosis(
        modes=modes,
        empowerment=emp,
        subsystems=sub,
        synergy=syn_arg,
        factors=fac,
        entity=focus,
        entity_name=_pick(entity_names.get(str(focus), {}), s.lang),  # named in the reasons
    )
    recs = recommend(diag)

    title = s.title
    if isinstance(title, dict):  # {en: ..., zh: ...}: the output language's, else the other one
        title = title.get(s.lang) or next(iter(title.values()), None)
    title = title or _("CBEC development diagnosis", lang=s.lang)
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
        entity_names=entity_names,
        titles=dict(s.title) if isinstance(s.title, dict) else {k: s.title for k in ("en", "zh") if s.title},
    )


# --------------------------------------------------------------------------- the document

#: printed comparison of a rule (rules/modes.yaml ``op``)
_OP_SIGNS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "=", "ne": "≠"}
FILES = {
    "json": "diagnosis.json",
    "xlsx": "diagnosis.xlsx",
    "html": "diagnosis.html",
    "docx": "diagnosis.docx",
}


#: printed form of a city profile's choice values (belt_and_road_role), through the catalogue
_CHOICES = {"port_hub": "port hub", "inland_hub": "inland hub", "none": "no Belt and Road role"}


def _dim_names(lang: str) -> dict[str, str]:
    from cbeclab.diagnose.empowerment import load_empowerment_rules

    return {str(d["key"]): str(d.get(lang, d["key"])) for d in load_empowerment_rules().get("dimensions", [])}


def build_diagnosis_document(report: DiagnosisReport, lang: str | None = None) -> Any:
    """The diagnosis as a :class:`~cbeclab.render.document.Document` (read from the report, no computing)."""
    from cbeclab.diagnose.modes import load_mode_rules
    from cbeclab.diagnose.recommend import recommendations_frame
    from cbeclab.i18n import _, resolve_lang
    from cbeclab.i18n.names import display_name
    from cbeclab.render import interpret
    from cbeclab.render.charts.diagnose import empowerment_radar, mode_charts, subsystems4_chart
    from cbeclab.render.columns import lang_column, map_values, table_from_frame
    from cbeclab.render.document import Bullets, Document, Figure, Paragraph, Section
    from cbeclab.render.methods import methods_section
    from cbeclab.render.numbers import fmt_value

    lg = resolve_lang(lang or report.lang)
    # entities by their display names: the panel's (spec panel.names), the cluster profile's
    ents = {k: _pick(v, lg) or k for k, v in report.entity_names.items()}
    if report.cluster is not None:
        ents[str(report.cluster.name)] = str(getattr(report.cluster, f"name_{lg}", "") or report.cluster.name)
    focus_name = ents.get(str(report.focus), report.focus) if report.focus is not None else None

    def yes_no(v: Any) -> str:
        return _("yes", lang=lg) if v else _("no", lang=lg)

    def tab(key: str, caption: str, df: pd.DataFrame, **kw: Any) -> Any:
        return table_from_frame(key, caption, map_values(df, ("entity",), ents), lg, **kw)

    sections: list[Any] = []
    summary: list[tuple[str, str]] = []
    interp: list[str] = []
    methods: list[str] = []
    d = report.diagnosis
    dims = _dim_names(lg)

    if report.modes is not None:
        r = report.modes
        city = pick(report.city.name, report.city.name_zh, lg)
        top = r.top
        top_name = pick(top.en, top.zh, lg)
        summary += [
            (_("City", lang=lg), city),
            (
                _("Best-fitting mode", lang=lg),
                f"{top_name} ({fmt_value(top.score)}/{fmt_value(top.max_score)})",
            ),
        ]
        rank = lang_column(r.to_frame(), "mode", lg)
        unmet = [pick(h.reason_en, h.reason_zh, lg) for h in top.unmet_preconditions]
        ranking = [
            (str(m), float(sc), float(mx))
            for m, sc, mx in zip(rank["mode"], rank["score"], rank["max_score"])
        ]
        interp += interpret.modes(city, ranking, int(top.n_fired), unmet, lg) if len(ranking) > 1 else []
        modes_rules, _x = load_mode_rules()
        mode = next(m for m in modes_rules if m.key == top.key)
        fired = pd.DataFrame(
            [
                {  # the rule's reason is its display name (the id stays in the JSON)
                    "reason": pick(h.reason_en, h.reason_zh, lg),
                    "value": yes_no(h.value) if isinstance(h.value, bool) else h.value,
                    "op": _OP_SIGNS.get(str(h.op), str(h.op)),
                    "threshold": yes_no(h.threshold) if isinstance(h.threshold, bool) else h.threshold,
                    "points": h.points,
                    "fired": yes_no(h.fired),
                    "estimate": _("estimate", lang=lg) if h.estimate else "",
                }
                for h in top.hits
            ]
        )
        prof = report.city.to_frame()
        prof = prof.assign(
            meaning=prof[lg],
            value=[
                yes_no(v)
                if isinstance(v, bool)
                else _(_CHOICES.get(v, v.replace("_", " ")), lang=lg)
                if isinstance(v, str)
                else v
                for v in prof["value"]
            ],
            unit=prof["unit"].map(lambda u: _(str(u), lang=lg) if isinstance(u, str) and u else ""),
            estimate=prof["estimate"].map({True: _("estimate", lang=lg), False: ""}),
        )
        blocks: list[Any] = [
            tab(
                "modes_rank",
                _("Ranking of the development modes", lang=lg),
                rank.drop(columns=["unmet_preconditions"], errors="ignore"),
                sheet=_("Modes", lang=lg),
                drop=("mode_en", "mode_zh"),
            ),
            tab(
                "modes_rules",
                _("Rules of the best-fitting mode: {mode}", mode=top_name, lang=lg),
                fired,
                sheet=_("Mode rules", lang=lg),
            ),
        ]
        blocks += [Paragraph(t, "interpretation") for t in interp[-2:]]
        blocks += [Figure(c.key, c) for c in mode_charts(r, lg)]
        if unmet:
            blocks.append(Bullets(tuple(unmet), _("Unmet preconditions", lang=lg)))
        pre = mode.preconditions.get(lg, "")
        if pre:
            blocks.append(Bullets((str(pre),), _("Preconditions", lang=lg)))
        blocks.append(Bullets(tuple(str(x) for x in mode.advantages.get(lg, [])), _("Advantages", lang=lg)))
        blocks.append(Bullets(tuple(str(x) for x in mode.limitations.get(lg, [])), _("Limitations", lang=lg)))
        blocks.append(
            tab(
                "profile",
                _("City profile", lang=lg),
                prof[["meaning", "value", "unit", "estimate"]],
                labels={"meaning": _("Field", lang=lg)},
                sheet=_("City profile", lang=lg),
                notes=(_("Values marked estimate are approximations.", lang=lg),),
            )
        )
        blocks.append(Bullets(tuple(str(x) for x in report.city.sources_in(lg)), _("Sources", lang=lg)))
        sections.append(
            Section(
                "modes",
                _("Development mode of the pilot zone", lang=lg),
                tuple(blocks),
                intro=re.sub(
                    r"\bseed (\d{3})\b", lambda m: _("seed paper {n}", n=m.group(1), lang=lg), mode.source
                ),
            )
        )
        methods.append("modes")

    if report.empowerment is not None:
        e = report.empowerment
        t = lang_column(lang_column(e.table, "grade", lg), "pattern", lg)
        t = map_values(t, ("weakest", "leading"), dims)
        ucols = [c for c in t.columns if c.startswith("U_")]
        labels = {c: dims.get(c[2:], c[2:]) for c in ucols}
        keep = ["entity", "period", *ucols, "C", "T", "D", "grade", "pattern", "weakest", "leading"]
        t = t[[c for c in keep if c in t.columns]]
        row = t.iloc[-1]
        cluster = ents.get(str(report.cluster.name), str(report.cluster.name))
        summary += [
            (_("Cluster", lang=lg), cluster),
            (_("Empowerment pattern", lang=lg), str(row["pattern"])),
            (_("Weakest dimension", lang=lg), str(row["weakest"])),
        ]
        sent = interpret.empowerment(
            cluster,
            str(row["pattern"]),
            float(row["D"]),
            str(row["grade"]),
            str(row["weakest"]),
            str(row["leading"]),
            lg,
        )
        interp.append(sent)
        blocks = [
            tab(
                "empowerment",
                _("Empowerment dimensions and their coordination", lang=lg),
                t,
                labels=labels,
                sheet=_("Empowerment", lang=lg),
            ),
            Paragraph(sent, "interpretation"),
            *([Figure("empowerment-radar", empowerment_radar(e, lg, ents))] if not e.table.empty else []),
            Bullets(tuple(str(x) for x in e.reasons[-1][lg]), _("Classification tests", lang=lg)),
            Bullets(
                tuple(f"{x[lg]} ({x.get(f'citation_{lg}') or x['citation']})" for x in e.levers[-1]),
                _("Policy levers", lang=lg),
            ),
        ]
        if report.cluster is not None and report.cluster.facts:
            blocks.append(
                Bullets(
                    tuple(
                        f"{f.get(lg, f.get('en', ''))} ({f.get('source', '')})" for f in report.cluster.facts
                    ),
                    _("Facts from the literature", lang=lg),
                )
            )
        sections.append(
            Section("empowerment", _("New quality productive forces empowerment", lang=lg), tuple(blocks))
        )
        methods.append("empowerment")

    if report.subsystems is not None:
        sb = report.subsystems
        names = {k: str(v.get(lg, k)) for k, v in (getattr(sb, "names", {}) or {}).items()}
        full = sb.overall.table
        ucols = [c for c in full.columns if c.startswith("U_")]
        k = len(ucols)
        ulabels = {c: _("U {name}", name=names.get(c[2:], c[2:]), lang=lg) for c in ucols}
        latest = map_values(
            lang_column(sb.latest(), "grade", lg), ("lagging", "top_dimension", "top_indicator"), names
        )
        latest["weakest_pair"] = latest["weakest_pair"].map(
            lambda v: " – ".join(names.get(x, x) for x in re.split("[-–]", v)) if isinstance(v, str) else v
        )
        last = full.groupby("entity", sort=False)["period"].transform("max") == full["period"]
        lp = sb.pairs.merge(full.loc[last, ["entity", "period"]], on=["entity", "period"])
        lp = map_values(lang_column(lp, "grade", lg), ("a", "b"), names).drop(columns=["pair"])
        lag = sb.lagging
        if report.focus is not None:
            lag = lag[lag["entity"].astype(str) == report.focus]
        lag = map_values(lag, ("lagging", "top_dimension", "dimension"), names)
        ft = map_values(lang_column(full, "grade", lg), ("lagging",), names)
        rows = interpret.coupling_rows(map_values(latest, ("entity",), ents), {})
        blocks = [
            tab(
                "sub_latest",
                _("Latest period of each entity", lang=lg),
                latest,
                sheet=_("Coordination latest", lang=lg),
                labels={
                    "weakest_pair": _("Weakest pair", lang=lg),
                    "weakest_pair_D": _("D of the weakest pair", lang=lg),
                    "U_lagging": _("U of the lagging subsystem", lang=lg),
                    "top_indicator": _("Top obstacle indicator", lang=lg),
                    "top_indicator_obstacle": _("Its obstacle degree", lang=lg),
                    "top_dimension": _("Top obstacle dimension", lang=lg),
                    "top_dimension_obstacle": _("Obstacle degree of the dimension", lang=lg),
                },
            ),
        ]
        if rows:
            blocks.append(Paragraph(interpret.coupling(rows, lg), "interpretation"))
        if not full.empty:
            blocks.append(
                Figure("subsystems4", subsystems4_chart(sb, lg, focus=report.focus, label=focus_name))
            )
        blocks += [
            tab(
                "sub_pairs",
                _("Pairwise coupling coordination (latest period)", lang=lg),
                lp,
                sheet=_("Pairs", lang=lg),
                labels={
                    "a": _("Subsystem A", lang=lg),
                    "b": _("Subsystem B", lang=lg),
                    "U_a": _("U of A", lang=lg),
                    "U_b": _("U of B", lang=lg),
                },
            ),
            tab(
                "sub_lagging",
                _(
                    "Lagging subsystem and its top obstacle indicators ({entity})",
                    entity=focus_name,
                    lang=lg,
                ),
                lag,
                sheet=_("Lagging", lang=lg),
                labels={
                    "U_lagging": _("U of the lagging subsystem", lang=lg),
                    "obstacle_lagging": _("Obstacle degree of the lagging subsystem", lang=lg),
                    "top_dimension": _("Top obstacle dimension", lang=lg),
                    "top_dimension_obstacle": _("Obstacle degree of the dimension", lang=lg),
                    "dimension": _("Dimension", lang=lg),
                },
            ),
            tab(
                "sub_all",
                _("Coupling coordination of the {k} subsystems, every period", k=k, lang=lg),
                ft,
                labels=ulabels,
                sheet=_("Coordination", lang=lg),
            ),
        ]
        sections.append(
            Section("subsystems", _("Coordination of the {k} subsystems", k=k, lang=lg), tuple(blocks))
        )
        methods.append("coupling")
    if d is not None and d.coupling_D is not None:
        names = {k2: str(v.get(lg, k2)) for k2, v in (getattr(report.subsystems, "names", {}) or {}).items()}
        summary += [
            (_("Coupling coordination degree D (focus entity, latest)", lang=lg), fmt_value(d.coupling_D)),
            (_("Lagging subsystem", lang=lg), names.get(str(d.lagging_subsystem), str(d.lagging_subsystem))),
        ]

    if report.synergy is not None:
        st = lang_column(report.synergy, "stage", lg)[["entity", "period", "synergy", "stage"]]
        st = map_values(st, ("entity",), ents)
        series = {
            str(e): [
                (p, float(v), str(sg)) for p, v, sg in zip(g["period"], g["synergy"], g["stage"]) if v == v
            ]
            for e, g in st.groupby("entity", sort=False)
        }
        blocks = [tab("synergy", _("Synergy degree and stage", lang=lg), st, sheet=_("Synergy", lang=lg))]
        if any(series.values()):
            blocks.append(Paragraph(interpret.synergy(series, lg), "interpretation"))
        sections.append(Section("synergy", _("Synergy stage", lang=lg), tuple(blocks)))
        methods.append("synergy")
    if d is not None and d.synergy is not None:
        stage = d.stage
        if report.synergy is not None and stage is not None:
            hit = report.synergy[report.synergy["stage"] == stage]
            if len(hit):
                stage = hit[f"stage_{lg}"].iloc[0]
        summary += [
            (_("Synergy degree", lang=lg), fmt_value(d.synergy)),
            (_("Synergy stage", lang=lg), str(stage)),
        ]

    if report.factors is not None:
        f = report.factors
        paths = f.paths.drop(columns=["text_en", "text_zh"]).rename(columns={"pvalue": "p", "std_all": "std"})
        paths = paths.assign(
            significant=paths["significant"].map(yes_no),
            **({"role": paths["role"].map(lambda v: display_name("role", v, lg))} if "role" in paths else {}),
        )
        blocks = [Paragraph(str(x), "interpretation") for x in f.sentences(lg)]
        blocks.append(
            tab(
                "paths",
                _("Paths of the influencing factors", lang=lg),
                paths,
                sheet=_("Paths", lang=lg),
                labels={
                    "predictor": _("Predictor", lang=lg),
                    "outcome": _("Outcome", lang=lg),
                    "est": _("Estimate", lang=lg),
                    "se": _("S.E.", lang=lg),
                    "z": "z",
                    "significant": _("Significant", lang=lg),
                },
            )
        )
        if len(f.effects):
            eff = f.effects.drop(columns=["text_en", "text_zh"])
            eff = eff.assign(
                **{c: eff[c].map(yes_no) for c in ("indirect_significant", "direct_significant") if c in eff}
            )
            for c in ("verdict", "source"):  # verdicts and where the effects come from, in words
                if c in eff:
                    eff[c] = eff[c].map(lambda v: _(str(v), lang=lg))
            blocks.append(
                tab(
                    "effects",
                    _("Direct and indirect effects", lang=lg),
                    eff,
                    sheet=_("Effects", lang=lg),
                    labels={
                        "x": "X",
                        "y": "Y",
                        "mediators": _("Mediators", lang=lg),
                        "direct": _("Direct effect", lang=lg),
                        "indirect": _("Indirect effect", lang=lg),
                        "total": _("Total effect", lang=lg),
                        "indirect_ci_lower": _("CI lower", lang=lg),
                        "indirect_ci_upper": _("CI upper", lang=lg),
                        "indirect_significant": _("Indirect significant", lang=lg),
                        "direct_significant": _("Direct significant", lang=lg),
                        "source": _("Source", lang=lg),
                        "indirect_share": _("Indirect share", lang=lg),
                        "direct_share": _("Direct share", lang=lg),
                        "verdict": _("Verdict", lang=lg),
                    },
                )
            )
        sections.append(Section("factors", _("Influencing factors", lang=lg), tuple(blocks)))
        methods += ["sem", "mediation"]

    recs = recommendations_frame(list(report.recommendations), lg)
    if "category" in recs:
        recs["category"] = recs["category"].map(lambda v: _(str(v), lang=lg))
    sections.append(
        Section(
            "recommendations",
            _("Recommendations", lang=lg),
            (
                tab(
                    "recommendations",
                    _("Recommendations and their reasons", lang=lg),
                    recs.drop(columns=["id"], errors="ignore"),
                    sheet=_("Recommendations", lang=lg),
                    labels={"category": _("Category", lang=lg)},
                ),
            ),
        )
    )
    summ = pd.DataFrame({"item": [k2 for k2, _v in summary], "value": [v for _k, v in summary]})
    head = [
        tab(
            "summary",
            _("Summary of the diagnosis", lang=lg),
            summ,
            labels={"item": _("Item", lang=lg), "value": _("Result", lang=lg)},
            formats={"value": "text"},
            sheet=_("Summary", lang=lg),
        ),
        *[Paragraph(t, "interpretation") for t in interp],
    ]
    sections.insert(0, Section("summary", _("Summary", lang=lg), tuple(head)))
    sections.append(methods_section(methods, lg))
    if report.notes:
        sections.append(Section("notes", _("Notes", lang=lg), (Bullets(tuple(report.notes)),)))
    sub = pick(report.city.name, report.city.name_zh, lg) if report.city is not None else None
    return Document(
        title=_pick(report.titles, lg) or _("CBEC development diagnosis", lang=lg),
        lang=lg,
        sections=tuple(sections),
        subtitle=sub,
        footer=_("Generated by cbeclab diagnose", lang=lg),
        kind="diagnosis",
        files=FILES,
    )


def render_diagnosis_html(report: DiagnosisReport, lang: str | None = None) -> str:
    """The diagnosis as one self-contained, escaped HTML page (``lang`` "en" or "zh")."""
    from cbeclab.render.html import render_html

    return render_html(build_diagnosis_document(report, lang))


def write_diagnosis(report: DiagnosisReport, out_dir: PathLike, lang: str | None = None) -> dict[str, Path]:
    """Write diagnosis.json, .xlsx, .html and .docx into ``out_dir`` atomically; returns the paths."""
    from cbeclab.io.atomic import atomic_write_text
    from cbeclab.render.docx import render_docx
    from cbeclab.render.html import render_html
    from cbeclab.render.xlsx import render_xlsx

    out = Path(out_dir)
    from cbeclab.io.atomic import ensure_dir

    ensure_dir(out)
    data = report.to_dict()
    try:
        text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:  # pragma: no cover - json_safe guards this
        raise CbecError(f"diagnosis could not be serialised ({exc})", where="diagnosis.json") from exc
    doc = build_diagnosis_document(report, lang)
    paths = {k: out / v for k, v in FILES.items()}
    try:
        atomic_write_text(paths["json"], text)
        render_xlsx(doc, paths["xlsx"])
        atomic_write_text(paths["html"], render_html(doc))
        render_docx(doc, paths["docx"])
    except OSError as exc:
        raise SpecError(f"cannot write the outputs ({exc.strerror})", where=str(out)) from None
    return paths
