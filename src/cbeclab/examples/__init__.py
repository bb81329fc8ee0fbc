"""Bundled example specs (shipped inside the package so ``cbeclab demo`` works after ``pip install``)."""

from __future__ import annotations

from importlib import resources

import yaml

from cbeclab.spec import RunSpec, spec_from_dict

__all__ = ["demo_spec"]


def demo_spec() -> RunSpec:
    """The demo: seed 001 Guangzhou cluster trade (real) + synthetic cluster indicators."""
    text = resources.files("cbeclab.examples").joinpath("guangzhou.yaml").read_text(encoding="utf-8")
    return spec_from_dict(yaml.safe_load(text), source="cbeclab/examples/guangzhou.yaml")
