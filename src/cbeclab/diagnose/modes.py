"""Development modes of CBEC comprehensive pilot zones (seed 003) scored over a city profile.

Seed 003 (Wang, §2.1-§2.5) describes five development modes of China's cross-border e-commerce
comprehensive pilot zones with their preconditions, advantages, limitations and example cities, and
(§3) five suggestions. ``rules/modes.yaml`` turns each mode's preconditions into transparent rules
(field, comparison, threshold, points, reason); :func:`rank_modes` applies them to a
:class:`CityProfile` and explains every point.

Score of mode m for profile p:

.. math::

    S_m = \\sum_{r \\in R_m} \\text{points}_r \\; [\\,p_{f_r} \\;\\text{op}_r\\; t_r\\,],\\qquad
    \\tilde S_m = S_m / \\sum_{r \\in R_m} \\text{points}_r

Modes rank by :math:`\\tilde S_m`, then by the number of rules that fired, then by :math:`S_m`.
Rules marked ``required`` that do not hold are reported as unmet preconditions (they do not
change the score, so each rule's threshold moves the score by exactly its points).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cbeclab.errors import SpecError
from cbeclab.i18n import _, pick
from cbeclab.i18n.names import display_name
from cbeclab.io.yamlfile import read_yaml_mapping

__all__ = [
    "CITY_FIELDS",
    "CityProfile",
    "Mode",
    "ModeRanking",
    "ModeRule",
    "ModeScore",
    "RuleHit",
    "list_city_profiles",
    "load_city_profile",
    "load_mode_rules",
    "rank_modes",
]

PathLike = str | os.PathLike[str]

#: profile fields: unit, valid range and meaning (also used in error messages and reports)
CITY_FIELDS: dict[str, dict[str, Any]] = {
    "city_tier": {
        "type": "int",
        "lo": 1,
        "hi": 6,
        "unit": "",
        "en": "city tier: 1 first-tier, 2 new first-tier, 3 second, 4 third, 5 fourth, 6 fifth (Yicai ranking)",
        "zh": "城市等级：1 一线，2 新一线，3 二线，4 三线，5 四线，6 五线（第一财经榜单）",
    },
    "gdp": {
        "type": "float",
        "lo": 1,
        "hi": 100000,
        "unit": "100 million yuan",
        "en": "GDP",
        "zh": "地区生产总值（亿元）",
    },
    "population": {
        "type": "float",
        "lo": 1,
        "hi": 5000,
        "unit": "10,000 persons",
        "en": "resident population",
        "zh": "常住人口（万人）",
    },
    "foreign_trade": {
        "type": "float",
        "lo": 0,
        "hi": 100000,
        "unit": "100 million yuan",
        "en": "goods imports + exports",
        "zh": "货物进出口总额（亿元）",
    },
    "retail_sales": {
        "type": "float",
        "lo": 0,
        "hi": 50000,
        "unit": "100 million yuan",
        "en": "total retail sales of consumer goods (consumer market size)",
        "zh": "社会消费品零售总额（亿元）",
    },
    "industrial_output": {
        "type": "float",
        "lo": 0,
        "hi": 100000,
        "unit": "100 million yuan",
        "en": "gross output of industrial firms above designated size (manufacturing strength)",
        "zh": "规模以上工业总产值（亿元）",
    },
    "ecommerce_penetration": {
        "type": "float",
        "lo": 0,
        "hi": 1,
        "unit": "share",
        "en": "online physical-goods sales / retail sales",
        "zh": "电子商务渗透率（实物商品网上零售额占比）",
    },
    "cbec_firms": {
        "type": "int",
        "lo": 0,
        "hi": 1000000,
        "unit": "firms",
        "en": "CBEC firms",
        "zh": "跨境电商企业数（家）",
    },
    "service_firms": {
        "type": "int",
        "lo": 0,
        "hi": 1000000,
        "unit": "firms",
        "en": "CBEC industry-chain and service firms (platform, logistics, payment)",
        "zh": "跨境电商产业链及服务企业数（家）",
    },
    "coastal": {"type": "bool", "en": "coastal city (coastal open economic zone)", "zh": "沿海城市"},
    "seaport_teu": {
        "type": "float",
        "lo": 0,
        "hi": 6000,
        "unit": "10,000 TEU",
        "en": "container throughput of the city's ports",
        "zh": "港口集装箱吞吐量（万标箱）",
    },
    "airport_cargo": {
        "type": "float",
        "lo": 0,
        "hi": 1000,
        "unit": "10,000 t",
        "en": "airport cargo and mail throughput",
        "zh": "机场货邮吞吐量（万吨）",
    },
    "rail_trains": {
        "type": "int",
        "lo": 0,
        "hi": 20000,
        "unit": "trains a year",
        "en": "China-Europe Railway Express trains a year",
        "zh": "中欧班列年开行量（列）",
    },
    "belt_and_road_role": {
        "type": "choice",
        "choices": ["inland_hub", "port_hub", "none"],
        "en": "role in the Belt and Road (2015 Vision and Actions)",
        "zh": "“一带一路”定位",
    },
    "border_adjacent": {
        "type": "bool",
        "en": "borders or directly faces neighbouring countries",
        "zh": "毗邻周边国家和地区",
    },
    "bonded_zone": {
        "type": "bool",
        "en": "has a comprehensive bonded zone or bonded logistics centre",
        "zh": "拥有综合保税区或保税物流中心",
    },
    "import_pilot_year": {
        "type": "int",
        "lo": 2012,
        "hi": 2100,
        "unit": "year",
        "nullable": True,
        "en": "year the city began CBEC retail-import (bonded import) pilots; empty = never",
        "zh": "开展跨境电商零售进口试点的年份；未开展则留空",
    },
    "pilot_year": {
        "type": "int",
        "lo": 2015,
        "hi": 2100,
        "unit": "year",
        "en": "year approved as CBEC comprehensive pilot zone",
        "zh": "获批跨境电商综试区年份",
    },
}

#: derived fields that rules may use
DERIVED_FIELDS: dict[str, dict[str, Any]] = {
    "trade_share": {"unit": "share", "en": "foreign trade / GDP", "zh": "外贸依存度（进出口/GDP）"},
}


def _read_yaml(path: PathLike) -> dict[str, Any]:
    """Read a YAML mapping; errors name the file, line and column."""
    return read_yaml_mapping(path, what="profile or rules file")


def _package_yaml(relative: str) -> dict[str, Any]:
    """Read a YAML file bundled under ``cbeclab/diagnose``."""
    text = resources.files("cbeclab.diagnose").joinpath(relative).read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise SpecError(_("expected a YAML mapping"), where=f"cbeclab/diagnose/{relative}")
    return data


def _split_values(values: Any, where: str) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """Split ``{field: x | {value: x, estimate: bool, note: str}}`` into values, estimated fields, notes."""
    if not isinstance(values, Mapping):
        raise SpecError(_("`values` must be a mapping field -> value"), where=f"{where}: values")
    out: dict[str, Any] = {}
    est: list[str] = []
    notes: dict[str, str] = {}
    for k, v in values.items():
        key = str(k)
        if isinstance(v, Mapping):
            if "value" not in v:
                raise SpecError(
                    _("a field written as a mapping needs a `value` key"),
                    where=f"{where}: values.{key}",
                    fix=_("write `field: {value: 1.0, estimate: true}` or just `field: 1.0`"),
                )
            out[key] = v["value"]
            if bool(v.get("estimate", False)):
                est.append(key)
            if v.get("note"):
                notes[key] = str(v["note"])
        else:
            out[key] = v
    return out, est, notes


def _field_error(
    exc: Any, fields: Mapping[str, Mapping[str, Any]], where: str, values: Mapping[str, Any]
) -> SpecError:
    """Turn the first error of a pydantic ``ValidationError`` into a located SpecError."""
    err = exc.errors()[0]
    loc = [str(x) for x in err.get("loc", ())]
    name = loc[0] if loc else "?"
    meta = fields.get(name)
    if err.get("type") == "missing":
        rng = _range_text(meta)
        return SpecError(
            _("field {name!r} is missing{rng}", name=name, rng=rng),
            where=f"{where}: values.{name}",
            fix=_("add `{name}:` to the profile's values", name=name)
            + (f" ({_field_text(name, meta)})" if meta else ""),
        )
    if err.get("type") == "extra_forbidden":
        return SpecError(
            _("unknown field {name!r}", name=name),
            where=f"{where}: values.{name}",
            fix=_("use one of: {v1}", v1=", ".join(fields)),
        )
    given = values.get(name, err.get("input"))
    return SpecError(
        _("field {name!r} = {given!r} is not valid{v1}", name=name, given=given, v1=_range_text(meta)),
        where=f"{where}: values.{name}",
        fix=_("give a value in the valid range ({v1})", v1=err.get("msg", "")),
    )


def _range_text(meta: Mapping[str, Any] | None) -> str:
    if not meta:
        return ""
    unit = ""
    if meta.get("unit"):
        unit = " " + display_name("unit", meta["unit"])
    if meta.get("type") == "bool":
        return _("; valid values: true or false")
    if meta.get("choices"):
        return _("; valid values: {choices}", choices=", ".join(meta["choices"]))
    null = _(" or null") if meta.get("nullable") else ""
    return _("; valid range [{lo:g}, {hi:g}]", lo=meta["lo"], hi=meta["hi"]) + unit + null


def _field_label(name: str) -> str:
    """A profile field's short name in the current language (its text before the first ':' or '（')."""
    meta = CITY_FIELDS.get(name)
    if not meta:
        return name
    text = _field_text(name, meta)
    for sep in ("：", ":", "（", " ("):
        text = text.split(sep, 1)[0]
    return text.strip() or name


def _field_text(name: str, meta: Mapping[str, Any]) -> str:
    """The profile field's own description in the current language (its zh/en text in CITY_FIELDS)."""
    from cbeclab.i18n import resolve_lang

    code = resolve_lang()
    return str(meta.get(code) or meta.get("en") or name)


_I = {"int": int, "float": float}


class CityProfileValues(BaseModel):
    """The measured fields of a city profile (units and ranges: :data:`CITY_FIELDS`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    city_tier: int = Field(ge=1, le=6)
    gdp: float = Field(ge=1, le=100000)
    population: float = Field(ge=1, le=5000)
    foreign_trade: float = Field(ge=0, le=100000)
    retail_sales: float = Field(ge=0, le=50000)
    industrial_output: float = Field(ge=0, le=100000)
    ecommerce_penetration: float = Field(ge=0, le=1)
    cbec_firms: int = Field(ge=0, le=1000000)
    service_firms: int = Field(ge=0, le=1000000)
    coastal: bool
    seaport_teu: float = Field(ge=0, le=6000)
    airport_cargo: float = Field(ge=0, le=1000)
    rail_trains: int = Field(ge=0, le=20000)
    belt_and_road_role: Literal["inland_hub", "port_hub", "none"]
    border_adjacent: bool
    bonded_zone: bool
    import_pilot_year: int | None = Field(ge=2012, le=2100)
    pilot_year: int = Field(ge=2015, le=2100)


@dataclass(frozen=True)
class CityProfile:
    """A city profile: name, values (validated), estimated fields, sources, provenance.

    ``value(name)`` also serves the derived field ``trade_share`` = foreign_trade / gdp.
    """

    name: str
    name_zh: str
    year: int | None
    values: CityProfileValues
    estimates: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
    paper_mode: str | None = None
    path: str | None = None
    #: the sources in Chinese (``sources_zh`` of the profile), printed in zh reports when given
    sources_zh: tuple[str, ...] = ()

    def sources_in(self, lang: str) -> tuple[str, ...]:
        """The sources in ``lang``: the Chinese list when the profile has one, else the English."""
        return pick(self.sources, self.sources_zh, lang)

    def value(self, name: str) -> Any:
        if name == "trade_share":
            return self.values.foreign_trade / self.values.gdp
        if name not in CITY_FIELDS:
            raise SpecError(
                _("unknown profile field {name!r}", name=name),
                where="rule field",
                fix=_("use one of {v1}", v1=list(CITY_FIELDS)),
            )
        return getattr(self.values, name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "name_zh": self.name_zh,
            "year": self.year,
            "values": self.values.model_dump(),
            "derived": {"trade_share": self.value("trade_share")},
            "estimates": list(self.estimates),
            "sources": list(self.sources),
            "sources_zh": list(self.sources_zh),
            "notes": dict(self.notes),
            "paper_mode": self.paper_mode,
            "path": self.path,
        }

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {
                "field": k,
                "value": v,
                "unit": CITY_FIELDS[k].get("unit", ""),
                "estimate": k in self.estimates,
                "en": CITY_FIELDS[k]["en"],
                "zh": CITY_FIELDS[k]["zh"],
            }
            for k, v in self.values.model_dump().items()
        ]
        return pd.DataFrame(rows)

    def replace(self, **values: Any) -> CityProfile:
        """A copy with some values changed (validated again)."""
        new = {**self.values.model_dump(), **values}
        return make_city_profile(new, name=self.name, name_zh=self.name_zh, where="replace()")


def make_city_profile(
    values: Mapping[str, Any],
    *,
    name: str = "city",
    name_zh: str = "",
    where: str = "profile",
    estimates: Sequence[str] = (),
    sources: Sequence[str] = (),
    year: int | None = None,
    notes: Mapping[str, str] | None = None,
    paper_mode: str | None = None,
    path: str | None = None,
    sources_zh: Sequence[str] = (),
) -> CityProfile:
    """Build a :class:`CityProfile` from a plain mapping; bad fields raise a located SpecError."""
    try:
        vals = CityProfileValues.model_validate(dict(values))
    except ValidationError as exc:
        raise _field_error(exc, CITY_FIELDS, where, values) from None
    unknown = [e for e in estimates if e not in CITY_FIELDS]
    if unknown:
        raise SpecError(_("estimate flags on unknown fields {unknown}", unknown=unknown), where=where)
    return CityProfile(
        name=name,
        name_zh=name_zh or name,
        year=year,
        values=vals,
        estimates=tuple(estimates),
        sources=tuple(sources),
        notes=dict(notes or {}),
        paper_mode=paper_mode,
        path=path,
        sources_zh=tuple(sources_zh),
    )


def _profiles_dir(kind: str) -> Path:
    return Path(str(resources.files("cbeclab.diagnose").joinpath("profiles", kind)))


def read_profile(source: Any, kind: str) -> tuple[dict[str, Any], str, str | None]:
    """A profile given as a mapping, a YAML file, or a bundled name (``hangzhou``, ``foshan_home``).

    ``kind`` is ``"city"`` or ``"cluster"``; a file whose ``kind`` field says otherwise is refused.
    Returns the raw mapping, the label used in messages, and the file path (None for a mapping).
    """
    if isinstance(source, Mapping):
        raw, where, path = dict(source), f"{kind} profile", None
    else:
        p = Path(source)
        bundled = _profiles_dir({"city": "cities", "cluster": "clusters"}[kind]) / f"{p.name}.yaml"
        if not p.exists() and not p.suffix and bundled.exists():
            p = bundled
        raw, where, path = _read_yaml(p), str(p), str(p)
    if raw.get("kind", kind) != kind:
        raise SpecError(
            _("kind is {v1!r}, expected {kind!r}", v1=raw.get("kind"), kind=kind), where=f"{where}: kind"
        )
    return raw, where, path


def list_city_profiles() -> list[str]:
    """Names of the bundled city profiles (``diagnose/profiles/cities/*.yaml``)."""
    return sorted(p.stem for p in _profiles_dir("cities").glob("*.yaml"))


def load_city_profile(source: PathLike | Mapping[str, Any]) -> CityProfile:
    """Load a city profile from a YAML file, a bundled name (``"hangzhou"``) or a mapping.

    File layout::

        name: Hangzhou
        name_zh: 杭州
        year: 2022
        paper_mode: industrial_agglomeration   # optional: the mode seed 003 assigns
        values:
          gdp: 18753
          cbec_firms: {value: 8000, note: "seed 003 §2.1: more than 8,000"}
          ecommerce_penetration: {value: 0.40, estimate: true}
        sources: ["..."]

    Raises
    ------
    SpecError
        Missing or out-of-range field (naming the field, its valid range and the file).
    """
    raw, where, path = read_profile(source, "city")
    if "values" not in raw:
        raise SpecError(
            _("the profile has no `values` mapping"), where=where, fix=_("put the fields under `values:`")
        )
    values, est, notes = _split_values(raw["values"], where)
    est = sorted(set(est) | {str(x) for x in raw.get("estimates", []) or []})
    sources = raw.get("sources", []) or []
    if not isinstance(sources, list):
        raise SpecError(_("`sources` must be a list of strings"), where=f"{where}: sources")
    sources_zh = raw.get("sources_zh", []) or []
    if not isinstance(sources_zh, list):
        raise SpecError(_("`sources_zh` must be a list of strings"), where=f"{where}: sources_zh")
    year = raw.get("year")
    return make_city_profile(
        values,
        name=str(raw.get("name", Path(where).stem)),
        name_zh=str(raw.get("name_zh", "")),
        where=where,
        estimates=est,
        sources=[str(s) for s in sources],
        year=int(year) if year is not None else None,
        notes=notes,
        paper_mode=raw.get("paper_mode"),
        path=path,
        sources_zh=[str(s) for s in sources_zh],
    )


# --------------------------------------------------------------------------- rules

_OPS = {
    "ge": (lambda v, t: v >= t, ">="),
    "gt": (lambda v, t: v > t, ">"),
    "le": (lambda v, t: v <= t, "<="),
    "lt": (lambda v, t: v < t, "<"),
    "eq": (lambda v, t: v == t, "=="),
    "ne": (lambda v, t: v != t, "!="),
}


def _fmt_value(value: Any) -> Any:
    """Plain number text for reasons: 10948.4, 0.4034, 8000 (never scientific notation)."""
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    if value.is_integer():
        return int(value)
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.4g}"


@dataclass(frozen=True)
class ModeRule:
    """One scoring rule: ``field op threshold`` adds ``points`` when it holds."""

    id: str
    field: str
    op: str
    threshold: Any
    points: float
    required: bool
    why: str
    reason: dict[str, str]

    def holds(self, value: Any) -> bool:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return bool(_OPS[self.op][0](value, self.threshold))

    def text(self, value: Any, lang: str = "en") -> str:
        v = _fmt_value(value)
        return self.reason.get(lang, self.reason["en"]).format(value=v, threshold=self.threshold)


@dataclass(frozen=True)
class Mode:
    key: str
    zh: str
    en: str
    source: str
    example_cities: tuple[str, ...]
    preconditions: dict[str, str]
    advantages: dict[str, list[str]]
    limitations: dict[str, list[str]]
    rules: tuple[ModeRule, ...]

    @property
    def max_points(self) -> float:
        return float(sum(r.points for r in self.rules))

    def name(self, lang: str = "en") -> str:
        return pick(self.en, self.zh, lang)


def _parse_rules(data: Mapping[str, Any], where: str) -> tuple[list[Mode], float]:
    modes: list[Mode] = []
    allowed = set(CITY_FIELDS) | set(DERIVED_FIELDS)
    for i, m in enumerate(data.get("modes") or []):
        w = f"{where}: modes[{i}]"
        try:
            rules = []
            for j, r in enumerate(m["rules"]):
                rw = f"{w}.rules[{j}]"
                if r["field"] not in allowed:
                    raise SpecError(
                        _("rule field {field!r} is not a profile field", field=r["field"]),
                        where=rw,
                        fix=_("use one of {v1}", v1=sorted(allowed)),
                    )
                if r["op"] not in _OPS:
                    raise SpecError(
                        _("op {op!r} is not known", op=r["op"]),
                        where=rw,
                        fix=_("use one of {v1}", v1=list(_OPS)),
                    )
                if not isinstance(r["points"], int | float) or r["points"] <= 0:
                    raise SpecError(_("points must be a positive number"), where=rw)
                rules.append(
                    ModeRule(
                        id=str(r["id"]),
                        field=str(r["field"]),
                        op=str(r["op"]),
                        threshold=r["threshold"],
                        points=float(r["points"]),
                        required=bool(r.get("required", False)),
                        why=str(r.get("why", "")),
                        reason={k: str(v) for k, v in dict(r["reason"]).items()},
                    )
                )
            modes.append(
                Mode(
                    key=str(m["key"]),
                    zh=str(m["zh"]),
                    en=str(m["en"]),
                    source=str(m.get("source", "")),
                    example_cities=tuple(m.get("example_cities") or ()),
                    preconditions=dict(m.get("preconditions") or {}),
                    advantages=dict(m.get("advantages") or {}),
                    limitations=dict(m.get("limitations") or {}),
                    rules=tuple(rules),
                )
            )
        except (KeyError, TypeError) as exc:
            raise SpecError(
                _("mode rule entry is incomplete ({exc})", exc=exc),
                where=w,
                fix=_("each rule needs id, field, op, threshold, points, reason"),
            ) from None
    if not modes:
        raise SpecError(_("no modes defined"), where=where)
    return modes, float(data.get("close_call", 0.1))


@lru_cache(maxsize=4)
def _bundled_rules() -> tuple[tuple[Mode, ...], float]:
    modes, close = _parse_rules(_package_yaml("rules/modes.yaml"), "cbeclab/diagnose/rules/modes.yaml")
    return tuple(modes), close


def load_mode_rules(path: PathLike | None = None) -> tuple[list[Mode], float]:
    """The five modes and their rules (bundled ``rules/modes.yaml`` or a user file); returns (modes, close_call)."""
    if path is None:
        modes, close = _bundled_rules()
        return list(modes), close
    return _parse_rules(_read_yaml(path), str(path))


# --------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class RuleHit:
    """How one rule fared on the profile."""

    mode: str
    rule: str
    field: str
    op: str
    threshold: Any
    value: Any
    fired: bool
    points: float
    required: bool
    estimate: bool
    reason_en: str
    reason_zh: str


@dataclass(frozen=True)
class ModeScore:
    key: str
    en: str
    zh: str
    rank: int
    score: float
    max_score: float
    normalised: float
    n_fired: int
    hits: tuple[RuleHit, ...]
    unmet_preconditions: tuple[RuleHit, ...]

    @property
    def fired(self) -> list[RuleHit]:
        return [h for h in self.hits if h.fired]


@dataclass(frozen=True)
class ModeRanking:
    """Result of :func:`rank_modes`: modes ranked best first, with every rule's outcome."""

    city: str
    city_zh: str
    ranking: tuple[ModeScore, ...]
    suggestions: tuple[dict[str, Any], ...]
    close_call: bool
    estimates: tuple[str, ...]
    notes: tuple[str, ...] = ()
    sensitivity: tuple[dict[str, Any], ...] = ()

    @property
    def top(self) -> ModeScore:
        return self.ranking[0]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "rank": m.rank,
                    "mode": m.key,
                    "mode_en": m.en,
                    "mode_zh": m.zh,
                    "score": m.score,
                    "max_score": m.max_score,
                    "normalised": m.normalised,
                    "n_fired": m.n_fired,
                    "unmet_preconditions": ", ".join(h.rule for h in m.unmet_preconditions),
                }
                for m in self.ranking
            ]
        )

    def rules_frame(self) -> pd.DataFrame:
        return pd.DataFrame([h.__dict__ for m in self.ranking for h in m.hits])

    def to_dict(self) -> dict[str, Any]:
        def hit(h: RuleHit) -> dict[str, Any]:
            d = dict(h.__dict__)
            for k in ("value", "threshold"):
                v = d[k]
                if isinstance(v, float) and not math.isfinite(v):
                    d[k] = None
            return d

        return {
            "city": self.city,
            "city_zh": self.city_zh,
            "top_mode": self.top.key,
            "close_call": self.close_call,
            "estimates": list(self.estimates),
            "ranking": [
                {
                    "rank": m.rank,
                    "mode": m.key,
                    "en": m.en,
                    "zh": m.zh,
                    "score": m.score,
                    "max_score": m.max_score,
                    "normalised": m.normalised,
                    "n_fired": m.n_fired,
                    "fired": [hit(h) for h in m.hits if h.fired],
                    "not_fired": [hit(h) for h in m.hits if not h.fired],
                    "unmet_preconditions": [hit(h) for h in m.unmet_preconditions],
                }
                for m in self.ranking
            ],
            "suggestions": [dict(s) for s in self.suggestions],
            "sensitivity": [dict(x) for x in self.sensitivity],
            "notes": list(self.notes),
        }


def _score_modes(prof: CityProfile, modes: Sequence[Mode]) -> list[ModeScore]:
    """Score and rank every mode for one profile (no suggestions, no sensitivity)."""
    scored: list[tuple[Mode, float, int, list[RuleHit]]] = []
    for m in modes:
        hits = []
        for r in m.rules:
            v = prof.value(r.field)
            ok = r.holds(v)
            hits.append(
                RuleHit(
                    mode=m.key,
                    rule=r.id,
                    field=r.field,
                    op=r.op,
                    threshold=r.threshold,
                    value=v,
                    fired=ok,
                    points=r.points if ok else 0.0,
                    required=r.required,
                    estimate=r.field in prof.estimates
                    or (r.field == "trade_share" and bool({"foreign_trade", "gdp"} & set(prof.estimates))),
                    reason_en=r.text(v, "en"),
                    reason_zh=r.text(v, "zh"),
                )
            )
        score = float(sum(h.points for h in hits))
        scored.append((m, score, sum(h.fired for h in hits), hits))
    order = sorted(
        range(len(scored)),
        key=lambda i: (-scored[i][1] / scored[i][0].max_points, -scored[i][2], -scored[i][1], i),
    )
    ranking = []
    for rank, i in enumerate(order, start=1):
        m, score, nf, hits = scored[i]
        ranking.append(
            ModeScore(
                key=m.key,
                en=m.en,
                zh=m.zh,
                rank=rank,
                score=score,
                max_score=m.max_points,
                normalised=score / m.max_points,
                n_fired=nf,
                hits=tuple(hits),
                unmet_preconditions=tuple(h for h in hits if h.required and not h.fired),
            )
        )
    return ranking


def _across(rule: ModeRule, value: Any) -> Any:
    """A value on the other side of ``rule``'s threshold (None when there is none in range)."""
    meta = CITY_FIELDS[rule.field]
    t = rule.threshold
    if meta["type"] == "bool":
        return not value
    if meta["type"] == "choice":
        return t if value != t else next(c for c in meta["choices"] if c != t)
    if value is None:
        return None
    eps = 1 if meta["type"] == "int" else 1e-6 * max(1.0, abs(float(t)))
    held = rule.holds(value)
    if rule.op in ("ge", "gt"):
        new = (t - eps if rule.op == "ge" else t) if held else (t if rule.op == "ge" else t + eps)
    elif rule.op in ("le", "lt"):
        new = (t + eps if rule.op == "le" else t) if held else (t if rule.op == "le" else t - eps)
    else:
        new = t + eps if held else t
    return new if meta["lo"] <= new <= meta["hi"] else None


def _sensitivity(prof: CityProfile, modes: Sequence[Mode], top: str) -> list[dict[str, Any]]:
    """Estimated fields whose value, moved across one of its rule thresholds, changes the top mode."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, Any]] = set()
    for m in modes:
        for r in m.rules:
            if r.field not in prof.estimates or r.field not in CITY_FIELDS:
                continue
            cur = prof.value(r.field)
            alt = _across(r, cur)
            if alt is None or (r.field, alt) in seen:
                continue
            seen.add((r.field, alt))
            try:
                other = prof.replace(**{r.field: alt})
            except SpecError:
                continue
            new_top = _score_modes(other, modes)[0].key
            if new_top != top:
                out.append(
                    {
                        "field": r.field,
                        "value": cur,
                        "alternative": alt,
                        "rule": r.id,
                        "op": r.op,
                        "threshold": r.threshold,
                        "top_mode": new_top,
                    }
                )
    return out


def rank_modes(
    profile: CityProfile | PathLike | Mapping[str, Any], rules: PathLike | None = None
) -> ModeRanking:
    """Rank seed 003's five development modes for a city profile.

    Parameters
    ----------
    profile
        A :class:`CityProfile`, a profile file / bundled name, or a mapping (see :func:`load_city_profile`).
    rules
        Optional path to a modes YAML (default: the bundled ``rules/modes.yaml``).

    Returns
    -------
    ModeRanking
        Modes ranked best first; each with score, normalised score, every rule with its reason and
        numbers, unmet preconditions; suggestions (seed 003 §3) attached to the top mode;
        ``sensitivity``: estimated profile values that, moved just across one of their rule
        thresholds, would change the top mode (a robustness check on the estimates).

    Examples
    --------
    >>> r = rank_modes("hangzhou")
    >>> r.top.key, r.top.score, r.top.max_score
    ('industrial_agglomeration', 10.0, 10.0)

    Checked against: hand calculation of every rule on the bundled profiles and at each rule's
    threshold (tests/test_diagnose_modes.py).
    """
    prof = profile if isinstance(profile, CityProfile) else load_city_profile(profile)
    modes, close = load_mode_rules(rules)
    ranking = _score_modes(prof, modes)
    sens = _sensitivity(prof, modes, ranking[0].key)
    from cbeclab.diagnose.recommend import recommend

    sugg = tuple(r.to_dict() for r in recommend({"mode": ranking[0].key}, categories=["mode"]))
    is_close = len(ranking) > 1 and ranking[0].normalised - ranking[1].normalised < close
    notes = []
    if is_close:
        notes.append(
            _(
                "close call: {key} {normalised:.2f} vs {key2} {normalised2:.2f} (difference below {close}); the city fits both modes",
                key=display_name("mode", ranking[0].key),
                normalised=ranking[0].normalised,
                key2=display_name("mode", ranking[1].key),
                normalised2=ranking[1].normalised,
                close=close,
            )
        )
    used = {h.field for m in ranking for h in m.hits if h.fired}
    est_used = sorted(set(prof.estimates) & used)
    if est_used:
        shown = ", ".join(_field_label(f) for f in est_used)
        notes.append(_("rules that fired use estimated values: {v1}", v1=shown))
    for x in sens:
        notes.append(
            _(
                "sensitive to an estimate: {field} = {v1} is an estimate; at {v2} (across rule {rule}) the top mode would be {top_mode}",
                field=_field_label(x["field"]),
                v1=_fmt_value(x["value"]),
                v2=_fmt_value(x["alternative"]),
                rule=f"{display_name('operator', x['op'])} {_fmt_value(x['threshold'])}",
                top_mode=display_name("mode", x["top_mode"]),
            )
        )
    return ModeRanking(
        city=prof.name,
        city_zh=prof.name_zh,
        ranking=tuple(ranking),
        suggestions=sugg,
        close_call=is_close,
        estimates=tuple(prof.estimates),
        notes=tuple(notes),
        sensitivity=tuple(sens),
    )
