"""The methods section: each formula a report used, with its literature source (``methods.yaml``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml

from cbeclab.i18n import _, resolve_lang
from cbeclab.render.document import Paragraph, Section

__all__ = ["methods_section"]


@cache
def _methods() -> dict[str, dict[str, Any]]:
    text = resources.files("cbeclab.render").joinpath("methods.yaml").read_text(encoding="utf-8")
    # libyaml's safe loader when PyYAML has it: the same mapping, read several times faster
    return dict(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))  # noqa: S506


def methods_section(keys: Sequence[str], lang: str | None = None) -> Section:
    """A "Methods" section with one paragraph per method key (in the order given)."""
    lg = resolve_lang(lang)
    table = _methods()
    blocks = []
    for k in dict.fromkeys(keys):
        m = table[k]
        note = _(m["note"], lang=lg) if m.get("note") else ""
        if not m.get("source"):  # our own rules: nothing to cite, the remark is the whole source line
            blocks.append(Paragraph(f"{m[lg]} {_('Source: {source}', source=note, lang=lg)}", kind="method"))
            continue
        if note:
            frame = _("Source: {source}; {note}", source="{source}", note=note, lang=lg)
        else:
            frame = _("Source: {source}", source="{source}", lang=lg)
        blocks.append(Paragraph(m[lg], kind="method", cite=m["source"], cite_frame=frame))
    return Section("methods", _("Methods", lang=lg), tuple(blocks))
