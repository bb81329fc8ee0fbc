"""Display names of things that are data, not interface text: indicators, subsystems, modes, units...

The catalogue (:func:`cbeclab.i18n._`) holds the interface's own words. Names that come with the
data -- a framework's indicators, a bundled dataset's entities, a rule file's modes -- carry their zh
and en names in the YAML next to the data; :func:`display_name` is the one place a report looks them
up, so no report needs to know where each kind of name lives.

==============  ====================================================  =========================
kind            key                                                   ``source``
==============  ====================================================  =========================
``indicator``   indicator id (A1, B8a, ...)                           framework name, path or
``dimension``   dimension id                                          :class:`Framework`; default:
``subsystem``   system id (digital_trade, ...)                        every bundled framework
``framework``   framework name (seed001)                              --
``mode``        development mode key (diagnose/rules/modes.yaml)      --
``pattern``     empowerment pattern / dimension / element key         --
``stage``       synergy stage key (diagnose/rules/stages.yaml)        --
``city``        bundled city profile name (hangzhou)                  --
``cluster``     bundled cluster profile name                          --
``dataset``     bundled dataset name (its title)                      --
``entity``      entity value of a bundled dataset                     dataset name (default: all)
``variable``    column of a bundled dataset                           dataset name (default: all)
``construct``   construct id of the Yongkang survey (F1, ...)         --
``item``        item id of the Yongkang survey (T11, ...)             --
``unit``        unit as written in the data ("100 million yuan")      --
``operator``    rule operator (ge, lt, ...): ≥, <, ...                --
``gm11``        GM(1,1) value label (good, qualified, high, refused)  --
``role``        role of an SEM construct in a diagnosis (enterprise)  --
==============  ====================================================  =========================

An unknown key is returned unchanged (a user's own entity names are already what the user wants to
see); an unknown ``kind`` is an error.

Examples
--------
>>> display_name("indicator", "A1", "zh", source="seed001")
'跨境电商出口总额'
>>> display_name("entity", "jewelry", "en")
'Jewelry'
>>> display_name("unit", "100 million yuan", "zh"), display_name("operator", "ge")
('亿元', '≥')
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cbeclab.errors import SpecError
from cbeclab.i18n import _, resolve_lang

__all__ = ["KINDS", "display_name", "names_of"]

KINDS = (
    "indicator",
    "dimension",
    "subsystem",
    "framework",
    "mode",
    "pattern",
    "stage",
    "city",
    "cluster",
    "dataset",
    "entity",
    "variable",
    "construct",
    "item",
    "unit",
    "operator",
    "gm11",
    "role",
)

Names = dict[str, dict[str, str]]  # key -> {lang: name}


#: libyaml's safe loader when PyYAML has it (the same documents, parsed several times faster)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(package: str, *parts: str) -> Any:
    """A bundled YAML file of ``package`` (a ``cbeclab`` subpackage), read without importing it.

    ``resources.files("cbeclab.datasets")`` would import :mod:`cbeclab.datasets` and with it scipy
    (~0.4 s) just to look up display names; the file is found from the ``cbeclab`` root instead.
    """
    root, *sub = package.split(".")
    with resources.files(root).joinpath(*sub, *parts).open("r", encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LOADER)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)


def _pair(node: Any) -> dict[str, str]:
    if isinstance(node, dict):
        return {k: str(node[k]) for k in ("zh", "en") if node.get(k)}
    return {}


@cache
def _framework_names(source: str | None) -> dict[str, Names]:
    from cbeclab.frameworks import list_frameworks, load_framework

    out: dict[str, Names] = {"indicator": {}, "dimension": {}, "subsystem": {}}
    for name in [source] if source else list_frameworks():
        fw = load_framework(name)
        for s in fw.systems:
            out["subsystem"].setdefault(s.id, {"zh": s.name("zh"), "en": s.name("en")})
            for d in s.dimensions:
                out["dimension"].setdefault(d.id, {"zh": d.name("zh"), "en": d.name("en")})
                for i in d.indicators:
                    out["indicator"].setdefault(i.id, {"zh": i.name("zh"), "en": i.name("en")})
    return out


@cache
def _bundled_framework_tokens() -> frozenset[str] | None:
    """Every key and scalar of the bundled framework files, as text (None: no such shortcut).

    An id of a bundled framework is one of these texts (``id: A1``, stripped), so a key that is not
    among them has no bundled name and :func:`display_name` returns it without validating every
    bundled framework (~0.2 s; a national panel's indicators x00 ... x39 are looked up this way).
    None when a bundled file extends a framework outside the package or cannot be read here.
    """
    folder = resources.files("cbeclab").joinpath("frameworks")
    # the names cbeclab.frameworks.list_frameworks() lists, without importing the loader (pydantic)
    bundled = sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
    tokens: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                walk(k)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif x is not None:
            tokens.update((str(x), str(x).strip()))

    for name in bundled:
        try:
            raw = _yaml("cbeclab.frameworks", f"{name}.yaml")
        except (OSError, yaml.YAMLError):
            return None
        ext = raw.get("extends") if isinstance(raw, dict) else None
        if ext is not None and str(ext) not in bundled and not folder.joinpath(str(ext)).is_file():
            return None
        walk(raw)
    return frozenset(tokens)


@cache
def _framework_titles() -> Names:
    from cbeclab.frameworks import list_frameworks, load_framework

    return {
        n: {"zh": load_framework(n).title("zh"), "en": load_framework(n).title("en")}
        for n in list_frameworks()
    }


@cache
def _rule_names(kind: str) -> Names:
    rules = "cbeclab.diagnose"
    if kind == "mode":
        return {m["key"]: _pair(m) for m in _yaml(rules, "rules", "modes.yaml")["modes"]}
    if kind == "stage":
        raw = _yaml(rules, "rules", "stages.yaml")
        out: Names = {}

        def walk(x: Any) -> None:
            if isinstance(x, dict):
                if "key" in x and _pair(x):
                    out[str(x["key"])] = _pair(x)
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)

        walk(raw)
        return out
    # pattern: empowerment patterns, dimensions and elements
    raw = _yaml(rules, "rules", "empowerment.yaml")
    out = {}

    def walk2(x: Any, key: str | None = None) -> None:
        if isinstance(x, dict):
            if _pair(x) and (key or x.get("key")):
                out.setdefault(str(x.get("key") or key), _pair(x))
            for k, v in x.items():
                walk2(v, str(k))
        elif isinstance(x, list):
            for v in x:
                walk2(v)

    walk2(raw)
    return out


@cache
def _profile_names(kind: str) -> Names:
    folder = resources.files("cbeclab.diagnose").joinpath(
        "profiles", "cities" if kind == "city" else "clusters"
    )
    out: Names = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        with entry.open("r", encoding="utf-8") as fh:
            raw = yaml.safe_load(fh) or {}
        names = {"en": str(raw.get("name") or ""), "zh": str(raw.get("name_zh") or "")}
        out[entry.name[: -len(".yaml")]] = {k: v for k, v in names.items() if v}
    return out


@cache
def _dataset_names(kind: str, source: str | None) -> Names:
    raw = _yaml("cbeclab.datasets", "names.yaml")
    if kind == "dataset":
        return {k: _pair(v.get("title")) for k, v in raw.items()}
    if kind in ("construct", "item"):
        yk = _yaml("cbeclab.datasets", "yongkang.yaml")["constructs"]
        if kind == "construct":
            return {str(k): _pair(v) for k, v in yk.items()}
        return {str(i): _pair(iv) for v in yk.values() for i, iv in (v.get("items") or {}).items()}
    clusters = _yaml("cbeclab.datasets", "data", "guangzhou_clusters.yaml")  # = datasets.guangzhou.CLUSTERS
    gz = {str(k): {"en": str(v["en"]), "zh": str(v["zh"])} for k, v in clusters.items()}
    out: Names = {}
    for name, entry in raw.items():
        if source and name != source:
            continue
        table = {
            str(k): _pair(v)
            for k, v in (entry.get(f"{kind[:-1]}ies" if kind == "entity" else f"{kind}s") or {}).items()
        }
        if kind == "entity" and name.startswith("guangzhou"):
            table = {**gz, **table}
        if kind == "variable" and name == "guangzhou_demo":
            table = {
                **{str(k): _pair(v) for k, v in (raw["guangzhou_trade"].get("variables") or {}).items()},
                **table,
            }
        for k, v in table.items():
            out.setdefault(k, v)
    return out


@cache
def _simple(kind: str) -> Names:
    raw = _yaml(
        "cbeclab.i18n",
        "data",
        {"unit": "units.yaml", "gm11": "gm11.yaml", "role": "roles.yaml"}.get(kind, "operators.yaml"),
    )
    if kind in ("unit", "gm11", "role"):
        return {str(k): _pair(v) for k, v in raw.items()}
    return {str(k): {"zh": str(v), "en": str(v)} for k, v in raw.items()}


def _source_key(source: Any) -> str | None:
    if source is None:
        return None
    if isinstance(source, str | Path):
        return str(source)
    name = getattr(source, "name", None)  # a Framework object
    return str(name) if name else None


def names_of(kind: str, source: Any = None) -> Names:
    """Every known ``{key: {"zh": ..., "en": ...}}`` of ``kind`` (see the module docstring)."""
    if kind in ("indicator", "dimension", "subsystem"):
        if source is not None and not isinstance(source, str | Path):
            fw = source
            out: Names = {}
            for s in fw.systems:
                if kind == "subsystem":
                    out[s.id] = {"zh": s.name("zh"), "en": s.name("en")}
                for d in s.dimensions:
                    if kind == "dimension":
                        out[d.id] = {"zh": d.name("zh"), "en": d.name("en")}
                    for i in d.indicators:
                        if kind == "indicator":
                            out[i.id] = {"zh": i.name("zh"), "en": i.name("en")}
            return out
        return _framework_names(_source_key(source))[kind]
    if kind == "framework":
        return _framework_titles()
    if kind in ("mode", "pattern", "stage"):
        return _rule_names(kind)
    if kind in ("city", "cluster"):
        return _profile_names(kind)
    if kind in ("dataset", "entity", "variable", "construct", "item"):
        return _dataset_names(kind, _source_key(source))
    if kind in ("unit", "operator", "gm11", "role"):
        return _simple(kind)
    raise SpecError(
        _("unknown kind of name {kind!r}", kind=kind),
        where="display_name",
        fix=_("use one of: {kinds}", kinds=", ".join(KINDS)),
    )


def display_name(kind: str, key: Any, lang: str | None = None, *, source: Any = None) -> str:
    """The ``lang`` name of ``key`` (a ``kind`` of data name), else the other language's, else ``key``.

    ``lang`` defaults to the current language (:func:`cbeclab.i18n.resolve_lang`); ``source`` narrows
    the lookup to one framework or dataset (see the module docstring).
    """
    code = resolve_lang(lang)
    text = str(key)
    if kind in ("indicator", "dimension", "subsystem") and source is None:
        tokens = _bundled_framework_tokens()
        if tokens is not None and text not in tokens:
            return text  # not in any bundled framework file: no bundled name (see the function)
    entry = names_of(kind, source).get(text)
    if not entry:
        return text
    other = "en" if code == "zh" else "zh"
    return entry.get(code) or entry.get(other) or text
