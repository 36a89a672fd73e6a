#!/usr/bin/env python3
"""Helpers for bench/run.sh: setup calls, the one load test oha cannot do
(logout needs a different token per request), and the results table.

Standard library only. Every network call goes to the BASE_URL given on the
command line (a local test host); every loop is bounded in count and time.

  benchlib.py call METHOD URL [--header H]... [--json BODY]   one request, prints JSON reply
  benchlib.py tokens BASE USER PASSWORD N CONCURRENCY OUT      N logins in parallel, tokens to OUT
  benchlib.py logout BASE TOKENS CONCURRENCY OUT               one logout per token, stats to OUT
  benchlib.py usernames PREFIX N PASSWORD OUT                  N register bodies, one per line
  benchlib.py table RESULTS_DIR [SECTION]                       markdown table from RESULTS_DIR/index.tsv
"""

import http.client
import json
import os
import queue
import sys
import threading
import time
import urllib.parse

TIMEOUT_S = 30


def _conn(base):
    url = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(url.hostname, url.port or 80, timeout=TIMEOUT_S)


def _request(conn, method, path, headers=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    hdrs = dict(headers or {})
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    payload = resp.read()
    return resp.status, payload


def call(method, url, headers, body):
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (("?" + parts.query) if parts.query else "")
    conn = _conn(f"{parts.scheme}://{parts.netloc}")
    status, payload = _request(conn, method, path, headers, body)
    conn.close()
    text = payload.decode(errors="replace")
    if status >= 300:
        sys.exit(f"{method} {url} -> {status}: {text}")
    print(text if text else "{}")


def _parallel(base, jobs, concurrency, work):
    """Runs work(conn, job) for every job on `concurrency` keep-alive
    connections; returns [(status, seconds, result)]."""
    todo = queue.Queue()
    for job in jobs:
        todo.put(job)
    results = []
    lock = threading.Lock()
    deadline = time.monotonic() + 600  # bounded: never more than 10 minutes

    def worker():
        conn = _conn(base)
        local = []
        while time.monotonic() < deadline:
            try:
                job = todo.get_nowait()
            except queue.Empty:
                break
            start = time.perf_counter()
            try:
                status, result = work(conn, job)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = _conn(base)
                status, result = 0, None
            local.append((status, time.perf_counter() - start, result))
        conn.close()
        with lock:
            results.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - started


def tokens(base, user, password, n, concurrency, out):
    def login(conn, _):
        status, payload = _request(
            conn, "POST", "/auth/login", body={"username": user, "password": password}
        )
        return status, json.loads(payload)["token"] if status == 200 else None

    results, _ = _parallel(base, range(n), concurrency, login)
    got = [r for s, _, r in results if s == 200]
    if len(got) < n:
        statuses = sorted({s for s, _, _ in results})
        sys.exit(f"only {len(got)} of {n} logins succeeded (statuses {statuses})")
    with open(out, "w") as f:
        f.write("\n".join(got) + "\n")


def _percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def logout(base, tokens_file, concurrency, out):
    with open(tokens_file) as f:
        toks = [line.strip() for line in f if line.strip()]

    def one(conn, token):
        status, _ = _request(conn, "POST", "/auth/logout", headers={"Authorization": f"Bearer {token}"})
        return status, None

    results, elapsed = _parallel(base, toks, concurrency, one)
    latencies = sorted(s for _, s, _ in results)
    statuses = {}
    for status, _, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    with open(out, "w") as f:
        json.dump(
            {
                "tool": "benchlib.py (one token per request)",
                "metrics": {
                    "requests_per_sec": len(results) / elapsed,
                    "latency_ms": {
                        "p50": _percentile(latencies, 50) * 1000,
                        "p99": _percentile(latencies, 99) * 1000,
                    },
                },
                "statusCodeDistribution": statuses,
                "errorDistribution": {},
            },
            f,
        )


def usernames(prefix, n, password, out):
    with open(out, "w") as f:
        for i in range(n):
            f.write(json.dumps({"username": f"{prefix}-{i}", "password": password}) + "\n")


def _load(results_dir, file):
    data = json.load(open(os.path.join(results_dir, file)))
    metrics = data["metrics"]
    statuses = data.get("statusCodeDistribution", {})
    errors = data.get("errorDistribution", {})
    return metrics, statuses, errors


def table(results_dir, section):
    """Markdown table of the results listed in RESULTS_DIR/index.tsv
    (section, name, concurrency, file, note) for one section."""
    index = os.path.join(results_dir, "index.tsv")
    entries = []
    with open(index) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 4 and fields[0] == section:
                entries.append(fields + [""] * (5 - len(fields)))
    if section == "endpoints":
        print("| endpoint | conc. | requests | 2xx | other | req/s | p50 ms | p99 ms |")
        print("|---|---:|---:|---:|---|---:|---:|---:|")
    else:
        print("| events recorded | conc. | requests | 2xx | req/s | p50 ms | p99 ms |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
    for _, name, conc, file, note in entries:
        if not os.path.exists(os.path.join(results_dir, file)):
            continue
        metrics, statuses, errors = _load(results_dir, file)
        total = sum(statuses.values()) + sum(errors.values())
        ok = sum(v for k, v in statuses.items() if k.startswith("2"))
        other = ", ".join(f"{k}×{v}" for k, v in sorted(statuses.items()) if not k.startswith("2"))
        if errors:
            other = ", ".join(filter(None, [other, f"{sum(errors.values())} errors"]))
        rps = f"{metrics['requests_per_sec']:,.0f}"
        p50 = f"{metrics['latency_ms']['p50']:.2f}"
        p99 = f"{metrics['latency_ms']['p99']:.2f}"
        if section == "endpoints":
            label = f"{name} ({note})" if note else name
            print(f"| {label} | {conc} | {total:,} | {ok:,} | {other or '–'} | {rps} | {p50} | {p99} |")
        else:
            print(f"| {name} | {conc} | {total:,} | {ok:,} | {rps} | {p50} | {p99} |")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "call":
        method, url, rest = args[0], args[1], args[2:]
        headers, body = {}, None
        while rest:
            flag, value, rest = rest[0], rest[1], rest[2:]
            if flag == "--header":
                name, _, v = value.partition(":")
                headers[name.strip()] = v.strip()
            elif flag == "--json":
                body = json.loads(value)
            else:
                sys.exit(f"unknown flag {flag}")
        call(method, url, headers, body)
    elif cmd == "tokens":
        tokens(args[0], args[1], args[2], int(args[3]), int(args[4]), args[5])
    elif cmd == "logout":
        logout(args[0], args[1], int(args[2]), args[3])
    elif cmd == "usernames":
        usernames(args[0], int(args[1]), args[2], args[3])
    elif cmd == "table":
        table(args[0], args[1] if len(args) > 1 else "endpoints")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
