"""``cbeclab serve``: the web workbench (issue 9) on an embedded store under ``--data``."""

from __future__ import annotations

import os
import threading
import webbrowser
from pathlib import Path

import click

from cbeclab.cli import main


@main.command("serve")
@click.option(
    "--data",
    "data",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cbeclab-data"),
    show_default=True,
    help="Data folder (SQLite store, uploads, run folders).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback needs a token.",
)
@click.option(
    "--port", default=8321, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option("--token", default=None, help="Access token (default: the CBECLAB_TOKEN environment variable).")
@click.option(
    "--scheduler",
    default=None,
    help="Dask scheduler address (tcp://host:port) for engine runs and bootstrap draws.",
)
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Runs executing at once."
)
@click.option(
    "--max-upload-mb",
    default=100.0,
    show_default=True,
    type=click.FloatRange(0.001, 10_000),
    help="Upload size limit in MB.",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser window.")
@click.option("--no-demo", is_flag=True, help="Do not load the demo projects into an empty data folder.")
def serve_cmd(
    data: Path,
    host: str,
    port: int,
    token: str | None,
    scheduler: str | None,
    workers: int,
    max_upload_mb: float,
    no_browser: bool,
    no_demo: bool,
) -> None:
    """Start the web workbench: projects, uploads, analyses, runs and reports in the browser."""
    import uvicorn

    from cbeclab.i18n import pgettext
    from cbeclab.web.app import create_app
    from cbeclab.web.security import check_host_allowed

    token = token or os.environ.get("CBECLAB_TOKEN") or None
    check_host_allowed(host, token)
    app = create_app(
        data,
        token=token,
        scheduler=scheduler,
        max_workers=workers,
        max_upload_mb=max_upload_mb,
        demo=not no_demo,
    )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    click.echo(
        pgettext(
            "web", "cbeclab workbench: {url}  (data in {data}; Ctrl+C stops it)", url=url, data=data.resolve()
        )
    )
    if not no_browser:
        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
