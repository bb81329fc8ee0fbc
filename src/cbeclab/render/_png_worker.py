"""The chart-to-PNG process of :class:`cbeclab.render.pngjobs.PngJobs` (run as a script, not imported).

Started with ``python _png_worker.py``; it imports only vl-convert, so it is ready in a fraction of a
second. Protocol over its standard streams:

* stdin: one JSON header line ``{"fonts": [folders], "vl_version": "6.1"}``, then one JSON line per
  chart ``{"kind": "vega-lite" | "svg", "spec": {...} | "svg": "...", "scale": 2.0}``; end of input
  starts the rendering;
* stdout: per chart, in input order, an 8-byte big-endian length and the PNG bytes (length 0: that
  chart failed; the parent renders it itself).

Every request is read before the first is drawn, so the parent never blocks writing while this
process waits to write. A broken pipe (the parent was killed) ends it quietly.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path


def main() -> int:
    import vl_convert as vlc

    header = json.loads(sys.stdin.readline() or "{}")
    for folder in header.get("fonts", []):
        if Path(folder).is_dir():
            vlc.register_font_directory(folder)
    vl_version = header.get("vl_version")
    jobs = [json.loads(line) for line in sys.stdin if line.strip()]
    out = sys.stdout.buffer
    for job in jobs:
        try:
            scale = float(job.get("scale", 2.0))
            if job.get("kind") == "svg":
                png = bytes(vlc.svg_to_png(job["svg"], scale=scale))
            else:
                png = bytes(vlc.vegalite_to_png(job["spec"], scale=scale, vl_version=vl_version))
        except Exception:  # noqa: BLE001 - any failure: the parent draws this chart itself
            png = b""
        try:
            out.write(struct.pack(">Q", len(png)) + png)
            out.flush()
        except BrokenPipeError:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
