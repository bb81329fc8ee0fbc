"""Indicator frameworks as data: YAML files system → dimension → indicator.

A framework file looks like::

    name: seed001
    zh: 数字贸易与产业集群协同指标体系
    en: Digital trade and industrial cluster indicator system
    source: "seed 001, Table 4"
    notes: [...]
    systems:
      - id: digital_trade
        zh: 数字贸易发展
        en: Development of digital trade
        dimensions:
          - id: market_size
            zh: 市场规模
            en: Market size
            indicators:
              - {id: A1, zh: 跨境电商出口总额, en: Cross-border e-commerce exports,
                 direction: "+", unit: "10,000 USD", source: "seed 001, Table 4"}

A user file may start from a built-in one::

    extends: seed001
    remove: [A4, A5]                 # drop indicators by id
    systems:
      - id: digital_trade            # same id: merged into the base system
        dimensions:
          - id: market_size
            indicators:
              - {id: A1, unit: "100 million yuan"}       # override fields of A1
              - {id: A12, zh: 跨境电商进口总额, en: CBEC imports, direction: "+"}  # add

Systems, dimensions and indicators are matched by ``id``; fields given in the user file replace
those of the base; new ids are appended in order.

Built-in frameworks: ``seed001`` (seed 001 Table 4; its duplicated label B8 is split into B8a/B8b),
``seed002`` (seed 002 §3, four subsystems), ``seed004`` (seed 004 §2–§3, core elements and the
technology–market–ecology empowerment dimensions).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cbeclab.directions import parse_direction
from cbeclab.errors import SpecError
from cbeclab.i18n import _, pgettext
from cbeclab.io.yamlfile import read_yaml_mapping

__all__ = [
    "Dimension",
    "Framework",
    "Indicator",
    "System",
    "list_frameworks",
    "load_framework",
    "merge_subsystems",
    "parse_direction",
]

_HERE = Path(__file__).resolve().parent

#: the framework levels as words for messages
_NODE_WORDS = {
    "system": lambda: pgettext("framework level", "system"),
    "dimension": lambda: pgettext("framework level", "dimension"),
    "indicator": lambda: pgettext("framework level", "indicator"),
}


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    zh: str = ""
    en: str = ""

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, v: Any) -> Any:
        return str(v).strip() if isinstance(v, str | int) and not isinstance(v, bool) else v

    def name(self, lang: str = "en") -> str:
        """Name in ``lang`` ("zh" or "en"), falling back to the other language, then the id."""
        first, second = (self.zh, self.en) if lang.startswith("zh") else (self.en, self.zh)
        return first or second or self.id


class Indicator(_Node):
    """One indicator: ``id``, ``zh``/``en`` names, ``direction`` (+1 benefit, -1 cost), ``unit``, ``source``.

    ``paper_id`` keeps the label printed in the source paper when the id had to differ from it.
    """

    direction: int = 1
    unit: str = ""
    source: str = ""
    paper_id: str | None = None
    note: str | None = None

    @field_validator("direction", mode="before")
    @classmethod
    def _direction(cls, v: Any) -> int:
        try:
            return parse_direction(v)
        except SpecError as exc:
            raise ValueError(f"{exc.message}; {exc.fix}") from None

    @property
    def sign(self) -> str:
        """``"+"`` or ``"-"``."""
        return "+" if self.direction > 0 else "-"


class Dimension(_Node):
    """A group of indicators inside a system (e.g. "market size")."""

    source: str = ""
    indicators: list[Indicator] = Field(min_length=1)


class System(_Node):
    """A subsystem of the framework (e.g. digital trade), made of dimensions."""

    source: str = ""
    dimensions: list[Dimension] = Field(min_length=1)


class Framework(BaseModel):
    """A validated indicator framework (see the module docstring for the YAML layout)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    zh: str = ""
    en: str = ""
    source: str = ""
    notes: list[str] = Field(default_factory=list)
    systems: list[System] = Field(min_length=1)
    path: str | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Framework:
        for kind, ids in (
            ("system", [s.id for s in self.systems]),
            ("dimension", [d.id for s in self.systems for d in s.dimensions]),
            ("indicator", [i.id for s in self.systems for d in s.dimensions for i in d.indicators]),
        ):
            dup = sorted({x for x in ids if ids.count(x) > 1})
            if dup:
                raise ValueError(
                    _(
                        "{kind} id(s) used more than once: {dup}; every {kind} id must be unique",
                        kind=_NODE_WORDS[kind](),
                        dup=dup,
                    )
                )
        return self

    # ---- queries ----------------------------------------------------------------------------

    def subsystems(self, level: Literal["system", "dimension"] = "system") -> dict[str, dict[str, int]]:
        """``{subsystem id: {indicator id: +1 | -1}}`` in file order.

        ``level="dimension"`` makes every dimension its own subsystem (e.g. the three core elements of
        seed 004).
        """
        if level == "system":
            return {
                s.id: {i.id: i.direction for d in s.dimensions for i in d.indicators} for s in self.systems
            }
        if level == "dimension":
            return {
                d.id: {i.id: i.direction for i in d.indicators} for s in self.systems for d in s.dimensions
            }
        raise SpecError(
            _("unknown level {level!r}", level=level),
            where="subsystems(level=...)",
            fix=_("use 'system' or 'dimension'"),
        )

    def directions(self) -> dict[str, int]:
        """``{indicator id: +1 | -1}`` over the whole framework."""
        return {i.id: i.direction for i in self.indicators()}

    def indicators(self) -> list[Indicator]:
        """All indicators in file order."""
        return [i for s in self.systems for d in s.dimensions for i in d.indicators]

    def indicator(self, id: str) -> Indicator:
        """The indicator with this id (SpecError with close matches if absent)."""
        for i in self.indicators():
            if i.id == id:
                return i
        ids = [i.id for i in self.indicators()]
        close = difflib.get_close_matches(str(id), ids, n=3, cutoff=0.4)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise SpecError(
            _("framework {name!r} has no indicator {id!r}{hint}", name=self.name, id=id, hint=hint),
            where=f"framework {self.name}",
            fix=_("use one of: {v1}", v1=", ".join(ids)),
        )

    def system_of(self, indicator_id: str) -> str:
        """Id of the system that holds ``indicator_id``."""
        self.indicator(indicator_id)  # raises with suggestions if absent
        return next(
            s.id for s in self.systems for d in s.dimensions for i in d.indicators if i.id == indicator_id
        )

    def names(self, lang: str = "en") -> dict[str, str]:
        """``{id: name}`` for systems, dimensions and indicators in ``lang`` ("en" or "zh")."""
        out: dict[str, str] = {}
        for s in self.systems:
            out[s.id] = s.name(lang)
            for d in s.dimensions:
                out[d.id] = d.name(lang)
                for i in d.indicators:
                    out[i.id] = i.name(lang)
        return out

    def title(self, lang: str = "en") -> str:
        """Framework title in ``lang``."""
        first, second = (self.zh, self.en) if lang.startswith("zh") else (self.en, self.zh)
        return first or second or self.name

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator: system, dimension, indicator, zh, en, direction, unit, source, paper_id."""
        rows = [
            {
                "system": s.id,
                "dimension": d.id,
                "indicator": i.id,
                "zh": i.zh,
                "en": i.en,
                "direction": i.direction,
                "unit": i.unit,
                "source": i.source,
                "paper_id": i.paper_id,
            }
            for s in self.systems
            for d in s.dimensions
            for i in d.indicators
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (directions written as +1/-1)."""
        return self.model_dump(mode="json")


# ---------------------------------------------------------------------------------------------
# loading


def list_frameworks() -> list[str]:
    """Names of the built-in frameworks (``load_framework(name)`` accepts them)."""
    return sorted(p.stem for p in _HERE.glob("*.yaml"))


def _loc_text(loc: tuple[Any, ...], raw: Mapping[str, Any]) -> str:
    """Turn a pydantic location into ``systems[0](digital_trade).dimensions[1].indicators[2](A7).direction``."""
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            try:
                node = node[item]
                if isinstance(node, Mapping) and "id" in node:
                    label += f"(id {node['id']})"
            except (IndexError, KeyError, TypeError):
                node = None
            if parts:
                parts[-1] += label
            else:
                parts.append(label)
        else:
            parts.append(str(item))
            try:
                node = node[item] if isinstance(node, Mapping) else None
            except (KeyError, TypeError):
                node = None
    return ".".join(parts) or "(top level)"


def _read_yaml(path: Path) -> dict[str, Any]:
    return read_yaml_mapping(
        path,
        what="framework file",
        layout_hint="a framework is a mapping with `name` and `systems` (see cbeclab.frameworks)",
    )


def _merge_nodes(base: list[Any], over: list[Any], child: str | None, where: str) -> list[Any]:
    """Merge two lists of id-keyed mappings: same id → fields replaced (children merged recursively)."""
    out = [dict(b) for b in base]
    index = {str(b.get("id")): k for k, b in enumerate(out) if isinstance(b, Mapping)}
    for k, node in enumerate(over):
        if not isinstance(node, Mapping) or "id" not in node:
            raise SpecError(
                _("each entry needs an `id`"),
                where=f"{where}[{k}]",
                fix=_("add `id:` to match or create an entry"),
            )
        nid = str(node["id"])
        if nid in index:
            merged = dict(out[index[nid]])
            for key, val in node.items():
                if child is not None and key == child and isinstance(val, list):
                    grand = "indicators" if child == "dimensions" else None
                    merged[key] = _merge_nodes(list(merged.get(key) or []), val, grand, f"{where}[{k}].{key}")
                else:
                    merged[key] = val
            out[index[nid]] = merged
        else:
            index[nid] = len(out)
            out.append(dict(node))
    return out


def _remove(raw: dict[str, Any], ids: list[Any], where: str) -> dict[str, Any]:
    drop = {str(i) for i in ids}
    found: set[str] = set()
    systems = []
    for s in raw.get("systems") or []:
        dims = []
        for d in s.get("dimensions") or []:
            inds = []
            for i in d.get("indicators") or []:
                if str(i.get("id")) in drop:
                    found.add(str(i.get("id")))
                else:
                    inds.append(i)
            if inds:
                dims.append({**d, "indicators": inds})
        if dims:
            systems.append({**s, "dimensions": dims})
    unknown = sorted(drop - found)
    if unknown:
        raise SpecError(
            _("`remove` names indicator(s) not in the base framework: {unknown}", unknown=unknown),
            where=f"{where}: remove",
            fix=_("use ids of the base framework"),
        )
    return {**raw, "systems": systems}


def _resolve_raw(name_or_path: str | Path, seen: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    p = Path(name_or_path)
    text = str(name_or_path)
    if p.suffix.lower() in (".yaml", ".yml") or p.is_file():
        path = p
        if not path.is_file():
            raise SpecError(
                _("framework file not found"),
                where=text,
                fix=_("check the path, or use a built-in framework: {v1}", v1=", ".join(list_frameworks())),
            )
    else:
        path = _HERE / f"{text}.yaml"
        if not path.is_file():
            close = difflib.get_close_matches(text, list_frameworks(), n=2, cutoff=0.5)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise SpecError(
                _("no built-in framework {text!r}{hint}", text=text, hint=hint),
                where="framework",
                fix=_("use one of {v1} or the path of a .yaml file", v1=", ".join(list_frameworks())),
            )
    key = str(path.resolve())
    if key in seen:
        raise SpecError(_("`extends` forms a cycle"), where=str(path), fix=_("remove the circular `extends`"))
    raw = _read_yaml(path)
    where = str(path)
    if "extends" in raw:
        parent_ref = raw.pop("extends")
        parent_path = Path(str(parent_ref))
        if not parent_path.is_absolute() and (path.parent / parent_path).is_file():
            parent_path = path.parent / parent_path
        base, _unused = _resolve_raw(parent_path if parent_path.is_file() else str(parent_ref), (*seen, key))
        merged = {k: v for k, v in base.items() if k not in ("systems", "notes")}
        merged["notes"] = list(base.get("notes") or []) + list(raw.pop("notes", None) or [])
        merged["systems"] = _merge_nodes(
            list(base.get("systems") or []),
            list(raw.pop("systems", None) or []),
            "dimensions",
            f"{where}: systems",
        )
        removals = raw.pop("remove", None)
        merged.update(raw)
        if removals:
            merged = _remove(merged, list(removals), where)
        merged.setdefault("name", path.stem)
        raw = merged
    elif "remove" in raw:
        raise SpecError(
            _("`remove` needs `extends`"), where=f"{where}: remove", fix=_("add `extends: <framework>`")
        )
    return raw, where


def load_framework(name_or_path: str | Path | Framework) -> Framework:
    """Load a built-in framework by name (``list_frameworks()``) or a YAML file (with optional ``extends``).

    Raises
    ------
    SpecError
        Unknown name, missing file, YAML syntax error (line/column), or a validation error naming the
        YAML path and field, e.g. ``my.yaml: systems[0](id digital_trade).dimensions[0]...direction``.

    Examples
    --------
    >>> fw = load_framework("seed001")
    >>> fw.subsystems()["digital_trade"]["A1"]
    1
    >>> fw.indicator("B8b").en
    'R&D institutions'
    """
    if isinstance(name_or_path, Framework):
        return name_or_path
    raw, where = _resolve_raw(name_or_path, ())
    raw.setdefault("name", Path(where).stem)
    raw["path"] = where
    try:
        return Framework.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _loc_text(tuple(err["loc"]), raw)
        msg = str(err["msg"]).removeprefix("Value error, ")
        if exc.error_count() > 1:
            msg += _(" (and {n} more problem(s))", n=exc.error_count() - 1)
        raise SpecError(
            msg,
            where=f"{where}: {loc}",
            fix=_(
                "correct this field (systems → dimensions → indicators, each with id, zh, en, direction, unit, source)"
            ),
        ) from None


def merge_subsystems(
    base: Framework | Mapping[str, Mapping[str, Any]] | None,
    inline: Mapping[str, Mapping[str, Any]] | None,
    *,
    where: str = "subsystems",
) -> dict[str, dict[str, int]]:
    """Combine a framework's subsystems with inline ones from a spec.

    ``inline`` is ``{subsystem: {indicator: "+" | "-"}}``. A subsystem already in ``base`` is updated
    (directions replaced, new indicators appended); a new subsystem is appended. An indicator named
    under a different subsystem than in ``base`` moves there (a base subsystem left empty by such
    moves is dropped). Directions accept the forms of :func:`parse_direction`.

    >>> merge_subsystems({"a": {"x": 1}, "b": {"y": 1}}, {"b": {"y": "-", "z": "+"}, "c": {"x": "+"}})
    {'b': {'y': -1, 'z': 1}, 'c': {'x': 1}}
    """
    if isinstance(base, Framework):
        out = {k: dict(v) for k, v in base.subsystems().items()}
    else:
        out = {
            str(k): {str(i): parse_direction(d, f"{where}.{k}.{i}") for i, d in (v or {}).items()}
            for k, v in (base or {}).items()
        }
    for sub, inds in (inline or {}).items():
        if not isinstance(inds, Mapping):
            raise SpecError(
                _("subsystem {sub!r} must map indicators to directions", sub=sub),
                where=f"{where}.{sub}",
                fix=_('write e.g. {exports: "+", cost: "-"}'),
            )
        target = out.setdefault(str(sub), {})
        for ind, d in inds.items():
            ind = str(ind)
            for other, members in out.items():
                if other != str(sub):
                    members.pop(ind, None)
            target[ind] = parse_direction(d, f"{where}.{sub}.{ind}")
    inline_keys = {str(k) for k in (inline or {})}
    return {k: v for k, v in out.items() if v or k in inline_keys}
