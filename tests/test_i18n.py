"""The message catalogue: language resolution, merging of .po files, placeholders."""

from __future__ import annotations

import pytest

from cbeclab.errors import SpecError
from cbeclab.i18n import _, catalogue, has_translation, pgettext, resolve_lang, use_lang


def test_english_is_the_source_text() -> None:
    assert _("error", lang="en") == "error"
    assert _("{n} rows", lang="en", n=3) == "3 rows"


def test_chinese_from_catalogue() -> None:
    assert _("error", lang="zh") == "错误"
    assert has_translation("Fix", "zh")
    assert not has_translation("no such message id", "zh")
    assert _("no such message id", lang="zh") == "no such message id"


def test_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CBECLAB_LANG", raising=False)
    assert resolve_lang() == "en"
    monkeypatch.setenv("CBECLAB_LANG", "zh_CN")
    assert resolve_lang() == "zh"
    with use_lang("en"):
        assert resolve_lang() == "en"
        assert _("error") == "error"
        assert resolve_lang("zh") == "zh"
    assert _("error") == "错误"


def test_unknown_language_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="--lang"):
        resolve_lang("fr")


def test_pgettext_falls_back_to_plain_id() -> None:
    assert pgettext("cli", "error", lang="zh") == "错误"


def test_catalogue_ids_are_unique_across_files() -> None:
    """Two .po files must not translate one id two different ways."""
    from importlib import resources

    from babel.messages.pofile import read_po

    folder = resources.files("cbeclab.i18n").joinpath("locale", "zh", "LC_MESSAGES")
    seen: dict[tuple[str | None, str], tuple[str, str]] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as fh:
            for msg in read_po(fh, locale="zh"):
                if not msg.id:
                    continue
                key = (msg.context, str(msg.id))
                if key in seen and seen[key][1] != msg.string:
                    pytest.fail(
                        f"{key} translated as {seen[key][1]!r} in {seen[key][0]} and {msg.string!r} in {entry.name}"
                    )
                seen[key] = (entry.name, str(msg.string))
    assert catalogue("zh")
