"""Write the offline Vega / Vega-Lite / Vega-Embed bundle into src/cbeclab/render/charts/static/.

The bundle is produced by vl-convert-python (``vl_convert.javascript_bundle``), which ships the same
library versions it renders PNG/SVG with, so the HTML charts and the static images agree. Run it
again after upgrading vl-convert-python or altair, then update static/README.md.

    python scripts/vendor_vega.py
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import vl_convert as vlc

OUT = Path(__file__).resolve().parents[1] / "src" / "cbeclab" / "render" / "charts" / "static"


def main() -> None:
    vl = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    text = vlc.javascript_bundle(vl_version=vl)
    head = (
        f"/* vega {vlc.get_vega_version()}, vega-lite {vl} (altair {alt.VEGALITE_VERSION}), "
        f"vega-embed {vlc.get_vega_embed_version()}; bundled by vl-convert-python "
        "javascript_bundle(); licences: see README.md and LICENSES.txt next to this file */\n"
    )
    (OUT / "vega-bundle.min.js").write_text(head + text, encoding="utf-8")
    print(f"wrote {OUT / 'vega-bundle.min.js'} ({len(text):,} characters)")


if __name__ == "__main__":
    main()
