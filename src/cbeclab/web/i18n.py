"""The workbench's messages: the one catalogue (:mod:`cbeclab.i18n`), context ``web`` (``web.po``).

The context keeps short words such as "Period" or "Run" free to be translated differently elsewhere.
"""

from __future__ import annotations

from typing import Any

from cbeclab.i18n import pgettext

CONTEXT = "web"


def _(msgid: str, *, lang: str | None = None, **fields: Any) -> str:
    """Translate a workbench message (English source text) into ``lang`` or the current language."""
    return pgettext(CONTEXT, msgid, lang=lang, **fields)
