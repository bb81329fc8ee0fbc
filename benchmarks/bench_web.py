"""Workbench speed (issue 9), not run by CI.

1. With a finished engine run stored, 20 concurrent clients (threads with httpx, a bounded number of
   requests each) fetch the results page and its API on loopback; p50/p95/p99 are printed, with the
   ratio of each to a peer measured in the same run: the static CSS file (the cheapest request the
   server answers, so the ratio is the cost of the results view over bare HTTP handling).
2. A 50 MB CSV is uploaded as a streamed request body; the server's peak resident memory growth
   during the upload is compared with the file size (no copy of the whole file in memory means a
   growth well below 50 MB).

    python benchmarks/bench_web.py [--clients 20] [--requests 50] [--upload-mb 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from web_server import LAST_PID, serve  # noqa: E402


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def load(
    url: str, clients: int, per_client: int, cookies: dict[str, str], headers: dict[str, str] | None = None
) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(cookies=cookies, timeout=30, headers=headers or {}) as c:
            local = []
            for _ in range(per_client):
                t0 = time.perf_counter()
                r = c.get(url)
                r.raise_for_status()
                local.append(time.perf_counter() - t0)
        with lock:
            times.extend(local)

    ts = [threading.Thread(target=worker) for _ in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return times


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=50, help="requests per client")
    ap.add_argument("--upload-mb", type=float, default=50)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp()) / "data"
    with serve(data, "--max-upload-mb", str(args.upload_mb * 2)) as base:
        c = httpx.Client(base_url=base, timeout=120)
        csrf = c.get("/api/csrf").json()["csrf_token"]
        h = {"X-CSRF-Token": csrf}
        gz = next(p for p in c.get("/api/projects").json() if "Guangzhou" in p["name"])
        a = next(x for x in c.get(f"/api/projects/{gz['id']}").json()["analyses"] if x["kind"] == "engine")
        rid = c.post(f"/api/analyses/{a['id']}/runs", json={"lang": "en"}, headers=h).json()["id"]
        while c.get(f"/api/runs/{rid}").json()["status"] in ("queued", "running"):
            time.sleep(0.5)
        assert c.get(f"/api/runs/{rid}").json()["status"] == "done"
        cookies = dict(c.cookies)
        rows = []
        load1 = lambda: os.getloadavg()[0]  # noqa: E731 - the machine is shared: report its load
        peer = load(base + "/static/style.css", args.clients, args.requests, cookies)
        rows.append(("peer: static CSS", peer, load1(), len(c.get("/static/style.css").content)))
        plain = {"Accept-Encoding": "identity"}
        for name, path, hdr in (
            ("results page", f"/runs/{rid}", None),
            ("results API gzip", f"/api/runs/{rid}/result", None),
            ("results API plain", f"/api/runs/{rid}/result", plain),
        ):
            load(base + path, 2, 3, cookies, hdr)  # warm the cache
            ts = load(base + path, args.clients, args.requests, cookies, hdr)
            sent = c.get(path, headers=hdr or {})
            size = int(sent.headers.get("content-length") or len(sent.content))  # bytes on the wire
            rows.append((name, ts, load1(), size))
        print(
            f"{args.clients} concurrent clients x {args.requests} requests, loopback, {os.cpu_count()} cores"
        )
        print(
            f"{'request':<19} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p95/peer':>9} {'wire kB':>8} {'load 1m':>8}"
        )
        for name, ts, ld, size in rows:
            print(
                f"{name:<19} {pct(ts, 50):8.1f} {pct(ts, 95):8.1f} {pct(ts, 99):8.1f} "
                f"{pct(ts, 95) / pct(peer, 95):9.2f} {size / 1024:8.1f} {ld:8.2f}"
            )
        worst = max(pct(ts, 95) for _n, ts, _l, _s in rows[1:])
        print(f"p95 target < 200 ms: {'met' if worst < 200 else 'NOT met'} (worst {worst:.1f} ms)")

        # --- streamed upload of a large CSV ----------------------------------------------------
        pid = LAST_PID[0]
        line = b"entity_0001,2020," + b",".join(b"%d.123456" % i for i in range(20)) + b"\n"
        n_lines = int(args.upload_mb * 1024 * 1024 / len(line))
        header = b"entity,period," + b",".join(b"x%d" % i for i in range(20)) + b"\n"
        size = len(header) + n_lines * len(line)

        def body():
            yield header
            block = line * 2000
            left = n_lines
            while left > 0:
                k = min(2000, left)
                yield block if k == 2000 else line * k
                left -= k

        big = data.parent / "big.csv"
        with open(big, "wb") as fh:
            for part in body():
                fh.write(part)

        def measure(how: str) -> None:
            peak = [_rss_kb(pid)]
            base_rss = peak[0]
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], _rss_kb(pid))
                    time.sleep(0.02)

            th = threading.Thread(target=sample)
            th.start()
            t0 = time.perf_counter()
            url = f"/api/projects/{gz['id']}/datasets"
            if how == "raw body":
                r = c.post(url, params={"filename": "big.csv"}, content=body(), headers=h)
            else:  # what the browser's upload form sends
                with open(big, "rb") as fh:
                    r = c.post(url, files={"file": ("big.csv", fh, "text/csv")}, headers=h)
            dt = time.perf_counter() - t0
            stop.set()
            th.join()
            r.raise_for_status()
            grow = (peak[0] - base_rss) / 1024
            print(
                f"upload ({how}) {size / 1024 / 1024:.1f} MB in {dt:.2f} s; server peak RSS growth {grow:.1f} MB "
                f"(ratio to file size {grow / (size / 1024 / 1024):.2f}, target < 2); "
                f"sha256 {r.json()['sha256'][:12]}; load 1m {os.getloadavg()[0]:.2f}"
            )

        measure("raw body")
        measure("multipart")


if __name__ == "__main__":
    main()
