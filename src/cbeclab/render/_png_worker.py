"""The chart-to-PNG process of :class:`cbeclab.render.pngjobs.PngJobs` (run as a script, not imported).

Started with ``python _png_worker.py``; it imports only vl-convert. Protocol over its standard streams:

* stdin: one JSON header line ``{"fonts": [folders]}``, sent as soon as the process starts; then one
  JSON line per chart ``{"kind": "vega-lite" | "svg", "spec": {...} | "svg": "...", "scale": 2.0,
  "vl_version": "6.1"}``, written whenever the parent has charts; end of input ends the process;
* stdout: per chart, in input order, an 8-byte big-endian length and the PNG bytes (length 0: that
  chart failed; the parent renders it itself).

After the header it registers the fonts and draws one tiny chart, so the JavaScript engine and the
font database are ready before the first real chart arrives (the parent is still reading and
computing then). Charts are drawn one at a time as they arrive; the parent reads the results on a
thread of its own and writes requests on another, so neither side can block the other. A broken pipe
(the parent was killed) ends it quietly.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

_WARM_UP = {
    "data": {"values": [{"x": "中", "y": 1}]},
    "mark": "bar",
    "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y", "type": "quantitative"}},
}


def main() -> int:
    import vl_convert as vlc

    header = json.loads(sys.stdin.readline() or "{}")
    for folder in header.get("fonts", []):
        if Path(folder).is_dir():
            vlc.register_font_directory(folder)
    try:
        vlc.vegalite_to_png(_WARM_UP, scale=1.0, vl_version=header.get("vl_version"))
    except Exception:  # noqa: BLE001, S110 - only a warm-up: the real charts report their own failures
        pass
    out = sys.stdout.buffer
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            scale = float(job.get("scale", 2.0))
            if job.get("kind") == "svg":
                png = bytes(vlc.svg_to_png(job["svg"], scale=scale))
            else:
                png = bytes(vlc.vegalite_to_png(job["spec"], scale=scale, vl_version=job.get("vl_version")))
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
