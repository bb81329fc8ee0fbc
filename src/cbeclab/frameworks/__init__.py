"""cbeclab.frameworks: indicator frameworks (YAML data) and their loader.

Built in: ``seed001`` (seed 001 Table 4, with the duplicated label B8 split into B8a/B8b),
``seed002`` (seed 002's four subsystems), ``seed004`` (seed 004's core elements and
technology-market-ecology empowerment dimensions). See :mod:`cbeclab.frameworks.loader`.
"""

from cbeclab.frameworks.loader import (
    Dimension,
    Framework,
    Indicator,
    System,
    list_frameworks,
    load_framework,
    merge_subsystems,
    parse_direction,
)

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
