"""cbeclab.io: read tables, validate panels, write files atomically."""

from cbeclab.io.atomic import atomic_write_bytes, atomic_write_text
from cbeclab.io.panel import Panel, load_panel, panel_from_frame
from cbeclab.io.readers import read_table

__all__ = [
    "Panel",
    "atomic_write_bytes",
    "atomic_write_text",
    "load_panel",
    "panel_from_frame",
    "read_table",
]
