"""Read a user's YAML file (spec, framework, profile) with errors that name the file, line and column.

The loader is stricter than ``yaml.safe_load`` in three ways, because a spec is typed by hand:

* a key written twice in one mapping is refused (``safe_load`` keeps the last one silently);
* explicit tags (``!!float 1``, ``!!python/...``, ``!custom``) are refused -- write plain values;
* anchors and aliases are capped (:data:`MAX_ALIASES`, and :data:`MAX_NODES` nodes once aliases are
  expanded), so a few hundred bytes of nested aliases (a "billion laughs" file) cannot grow into
  gigabytes of data or of error message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cbeclab.errors import SpecError
from cbeclab.i18n import _

__all__ = ["MAX_ALIASES", "MAX_NODES", "loads_yaml", "read_yaml_mapping"]

#: aliases (``*name``) allowed in one file
MAX_ALIASES = 100
#: nodes allowed in one file once every alias is expanded
MAX_NODES = 100_000


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, mark: Any, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark
        self.fix = fix


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without duplicate keys, explicit tags or unbounded aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(
                    _("more than {n} aliases (*name) in one file", n=MAX_ALIASES),
                    event.start_mark,
                    _("write the values out instead of referring to them with aliases"),
                )
        elif isinstance(event, ScalarEvent | CollectionStartEvent) and event.tag not in (None, "!"):
            implicit = event.implicit[0] if isinstance(event, ScalarEvent) else event.implicit
            if not implicit:
                raise _Refused(
                    _(
                        "the tag {tag} is not accepted",
                        tag=str(event.tag).replace("tag:yaml.org,2002:", "!!")[:80],
                    ),
                    event.start_mark,
                    _("remove the tag and write the plain value (1.5, not !!float 1.5)"),
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _value in node.value:
            if isinstance(key_node, ScalarNode):
                key = self.construct_scalar(key_node)
                if key in seen and key_node.tag != "tag:yaml.org,2002:merge":
                    raise _Refused(
                        _(
                            "the key {key} is written twice in one mapping (first on line {line})",
                            key=repr(key)[:80],
                            line=seen[key].line + 1,
                        ),
                        key_node.start_mark,
                        _("keep one of the two (YAML would silently use the last)"),
                    )
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    """Number of nodes once aliases are expanded (shared nodes counted each time they are used)."""
    got = memo.get(id(node))
    if got is not None:
        return got
    memo[id(node)] = MAX_NODES + 1  # a node that contains itself: recursive, refuse
    if isinstance(node, SequenceNode):
        size = 1 + sum(_expanded_size(n, memo) for n in node.value)
    elif isinstance(node, MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    size = min(size, MAX_NODES + 1)
    memo[id(node)] = size
    return size


def loads_yaml(text: str) -> Any:
    """Parse YAML text with the strict rules of this module (raises ``yaml.YAMLError``)."""
    loader = _StrictLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise _Refused(
                _("the file is nested too deeply"), None, _("write the values with fewer levels of nesting")
            ) from None
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise _Refused(
                _("the file expands to more than {n} values through its aliases", n=MAX_NODES),
                node.start_mark,
                _("write the values out instead of nesting aliases"),
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml_mapping(
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    fix: str | None = None,
    layout_hint: str | None = None,
) -> dict[str, Any]:
    """Read ``path`` as UTF-8 (a BOM is accepted) YAML whose top level is a mapping.

    An empty file reads as ``{}`` (the caller's schema then says which fields are missing).

    Raises
    ------
    SpecError
        The file is missing, not UTF-8, not valid YAML (``where`` gives line and column; ``fix`` is
        ``fix``), uses a refused construct (duplicate key, tag, too many aliases), or its top level is
        not a mapping (``fix`` is ``layout_hint``).
    """
    p = Path(path)
    if not p.is_file():
        raise SpecError(_("{what} not found", what=_(what)), where=str(p), fix=_("check the path"))
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(
            _("the {what} is not UTF-8 text", what=_(what)), where=str(p), fix=_("save it as UTF-8")
        ) from None
    except OSError as exc:
        raise SpecError(
            _("cannot read the {what} ({reason})", what=_(what), reason=exc.strerror),
            where=str(p),
            fix=_("check the path"),
        ) from None
    try:
        data = loads_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            _("{path} line {line} column {col}", path=p, line=mark.line + 1, col=mark.column + 1)
            if mark is not None
            else str(p)
        )
        problem = str(getattr(exc, "problem", None) or exc)[:300]
        if isinstance(exc, _Refused):
            raise SpecError(problem, where=where, fix=exc.fix) from None
        raise SpecError(
            _("not valid YAML ({problem})", problem=problem),
            where=where,
            fix=fix or _("check indentation, and quote values that contain ':' or start with '-' or '+'"),
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpecError(
            _(
                "the {what} must be a mapping of fields at the top level, not a {kind}",
                what=_(what),
                kind=type(data).__name__,
            ),
            where=str(p),
            fix=layout_hint,
        )
    return data
