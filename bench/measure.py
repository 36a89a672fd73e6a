#!/usr/bin/env python3
"""Measures every endpoint of a running app next to its floor, in one run.

    python3 bench/measure.py --app URL --key INTERNAL_KEY --floors URL \
        --store sqlite|redis --out DIR [--duration 9] [--slices 3] [--connections 32]
    python3 bench/measure.py combine DIR...   # one table of several runs
    python3 bench/measure.py render DIR...    # results.md again from results.json

The app and the floors (bench/floors/spin.toml) must already run, the floors
on the same kind of store as the app; bench/ratios.sh starts both on real
Spin and calls this. Setup creates a user, a token, an event and five
notifications; then, with wrk (bench/wrk.lua), each endpoint and its floor
run in alternating slices, so that whatever else loads the machine falls on
both alike. Then it flushes auth's outbox and checks that analytics counted
every event, login and registration answered with success (and no more than
wrk may have missed). Writes results.json and results.md to DIR.
A benchmark, not a test: the goals are printed beside the ratios, nothing
fails on them.

Python standard library only. Only --app and --floors are contacted.
"""

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTIFICATIONS_PER_LIST_USER = 5
LOGIN_USERS = 8


def log(message):
    print(time.strftime("%H:%M:%S", time.gmtime()), message, file=sys.stderr, flush=True)


def call(method, url, body=None, headers=None, expect=(200, 201, 202)):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    if status not in expect:
        raise SystemExit(f"{method} {url}: {status} {text}")
    try:
        return json.loads(text)
    except ValueError:
        return text


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------- floors
#
# The store calls each read endpoint's floor makes: the calls the endpoint
# cannot avoid, as a list of how many keys each reads. On Spin's SQLite store
# a batch read (get-many) of several keys is one call, dearer than a get
# but far cheaper than a get per key; Spin's Redis store cannot do get-many
# (it fails; see crates/spin-edge/src/kv.rs), so there every key is its own
# get. `actions` is the number of action names the analytics index holds,
# `listed` the notifications a list returns.


def read_floors(store, actions, listed):
    def batch(keys):
        if keys == 0:
            return []
        return [keys] if store == "sqlite" else [1] * keys

    return {
        # The token's record: one key.
        "me": [1],
        # One probe key.
        "health": [1],
        # One notification record.
        "notification": [1],
        # The slot counter, the action names, one counter per action.
        "metrics": [1] + batch(actions) + batch(actions),
        # The user's sequence counter, the ring slots, the records.
        "list": [1] + batch(listed) + batch(listed),
    }


def floor_query(calls):
    """`/floor/read`'s query for `calls`: the gets, then each get-many."""
    gets = sum(1 for keys in calls if keys == 1)
    batches = [str(keys) for keys in calls if keys > 1]
    return f"n={gets}" + (f"&batch={','.join(batches)}" if batches else "")


def floor_name(calls):
    """`1 get`, `7 gets`, or `1 get + 2 get-many of 3`."""
    gets = sum(1 for keys in calls if keys == 1)
    batches = [keys for keys in calls if keys > 1]
    name = f"{gets} get{'s' if gets > 1 else ''}"
    if batches:
        sizes = ", ".join(str(keys) for keys in batches) if len(set(batches)) > 1 else str(batches[0])
        name += f" + {len(batches)} get-many of {sizes}"
    return name


def flush_outbox(app, internal):
    """Delivers what auth still holds, so that analytics has every event;
    returns how many entries are still pending after ten flushes a second
    apart (0: all). Auth leaves an entry to its own request for 5 s when
    that request's attempt got no answer, so the flushes span more."""
    for attempt in range(10):
        if attempt:
            time.sleep(1)
        answer = call("POST", f"{app}/auth/outbox/flush", None, internal)
        if answer["complete"] and not answer["pending"]:
            return 0
    return answer["pending"]


def pair_ratios(row, runs):
    """The ratio within each pair of neighbouring slices (endpoint i, floor i).

    A pair ran within seconds, so its ratio is free of the machine's drift
    over the row; their spread says how far the row's ratio can be trusted.
    `runs` are the report's slices; older reports have what this needs.
    """
    if row["metric"] == "none":
        return []
    by_file = {run["file"]: run for run in runs}
    key = "rps" if row["metric"] == "rps" else "p50_ms"
    pairs = []
    for endpoint, floor in zip(row["measured"]["runs"], row["floor_measured"]["runs"]):
        value, floor_value = (pool([by_file[f]])[key] for f in (endpoint, floor))
        if floor_value:
            pairs.append(value / floor_value)
    return pairs


def spread(pairs, metric="rps"):
    """`0.74–0.77`, or `1.05–1.12×` for latency."""
    unit = "×" if metric == "p50" else ""
    return f"{min(pairs):.2f}–{max(pairs):.2f}{unit}" if pairs else ""


def pool(slices):
    """One side of a row: its slices' requests, answers and latency, pooled."""
    requests = sum(r["requests"] for r in slices)
    seconds = sum(r["duration_us"] for r in slices) / 1e6
    errors = sum(sum(r["errors"].values()) for r in slices)
    # Every slice's percentiles 1..99 stand for 1% of its requests each.
    points = sorted((q, r["requests"]) for r in slices for q in r["latency_us"]["percentiles"])
    total = sum(weight for _, weight in points) or 1

    def quantile(fraction):
        seen = 0
        for value, weight in points:
            seen += weight
            if seen >= fraction * total:
                return value / 1000
        return points[-1][0] / 1000 if points else 0.0

    refused = sum(r["errors"]["status"] for r in slices)
    # Throughput counts answers in 2xx/3xx only: a refusal costs less
    # than the work measured and would flatter the endpoint.
    succeeded = requests - refused
    return {"name": slices[0]["name"], "connections": slices[0]["connections"], "requests": requests,
            "succeeded": succeeded, "rps": succeeded / seconds,
            "p50_ms": quantile(0.5), "p99_ms": quantile(0.99),
            "errors": errors, "runs": [r["file"] for r in slices],
            "load_before": [r["load_before"] for r in slices],
            # Requests the app may have served without wrk seeing the
            # answer: one per connection when a slice stops, and every
            # socket error or timeout.
            "unseen": slices[0]["connections"] * len(slices) + errors - refused}


def judge(result, floor, metric, goal):
    """A row's value, its floor's, their ratio and whether it meets `goal`:
    at least `goal` of the floor's throughput (`rps`), at most `goal` times
    its p50 latency (`p50`). No ratio when a side got no answer at all, or
    the floor nothing to divide by."""
    key = "rps" if metric == "rps" else "p50_ms"
    if not (result["requests"] and floor["requests"] and floor[key]):
        return {"metric": "none", "value": None, "floor_value": None, "ratio": None, "goal": None,
                "met": None}
    value, floor_value = result[key], floor[key]
    ratio = value / floor_value
    met = None if goal is None else (ratio >= goal if metric == "rps" else ratio <= goal)
    return {"metric": metric, "value": value, "floor_value": floor_value, "ratio": ratio, "goal": goal,
            "met": met}


def audit(action, before, after, succeeded, unseen, pending):
    """Whether `action`'s count grew by every successful answer and by no
    more than the requests whose answers wrk did not see, with nothing left
    in auth's outbox."""
    counted = after - before
    return {"action": action, "counted": counted, "succeeded": succeeded, "unseen": unseen,
            "pending": pending, "ok": pending == 0 and succeeded <= counted <= succeeded + unseen}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", required=True, help="base URL of the app")
    parser.add_argument("--key", required=True, help="the app's internal_api_key")
    parser.add_argument("--floors", required=True, help="base URL of bench/floors")
    parser.add_argument("--store", required=True, choices=["sqlite", "redis"])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--duration", type=int, default=9,
                        help="seconds of wrk per side (endpoint, floor) of each row")
    parser.add_argument("--slices", type=int, default=3, help="alternating wrk runs per side")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--meta", default="{}", help="JSON merged into the report's machine section")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "raw").mkdir(exist_ok=True)

    app, floors, key = args.app.rstrip("/"), args.floors.rstrip("/"), args.key
    internal = {"X-Internal-Key": key}
    run_id = secrets.token_hex(3)

    # ------------------------------------------------------------ setup
    log("setup: a user, a token, an event, notifications")
    for service in ("auth", "analytics", "notification"):
        call("GET", f"{app}/{service}/health")
    call("GET", f"{floors}/floor/hello")
    call("GET", f"{floors}/floor/probe")
    username, password = f"bench-{run_id}", f"bench-{run_id}-staple-horse-battery"
    user_id = call("POST", f"{app}/auth/register", {"username": username, "password": password})["user_id"]
    # Login rows rotate over these (same password): one user's concurrent
    # logins would meet its throttle (five attempts unresolved at once).
    login_users = [f"{username}-login{n}" for n in range(LOGIN_USERS)]
    for name in login_users:
        call("POST", f"{app}/auth/register", {"username": name, "password": password})
    token = call("POST", f"{app}/auth/login", {"username": username, "password": password})["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    # The action exists before 32 connections record it, so they never race
    # to add it to the index (racing first events each take a slot).
    call("POST", f"{app}/analytics/events", {"user_id": user_id, "action": "bench.event"}, internal)
    list_user = f"bench-list-{run_id}"
    notification_id = None
    for n in range(NOTIFICATIONS_PER_LIST_USER):
        receipt = call("POST", f"{app}/notification/notify",
                       {"user_id": list_user, "subject": "bench", "message": f"benchmark {n}"}, internal)
        notification_id = receipt["notification_id"]
    call("POST", f"{app}/auth/outbox/flush", None, internal)
    call("POST", f"{floors}/floor/seed?n=64")
    metrics = call("GET", f"{app}/analytics/metrics/actions")
    actions = len(metrics["actions"])
    listed = len(call("GET", f"{app}/notification/users/{list_user}/notifications", None, internal)["notifications"])
    reads = read_floors(args.store, actions, listed)
    log(f"setup done: {actions} actions in the index, {listed} notifications listed; floor reads {reads}")

    # ------------------------------------------------------------ measuring
    #
    # Each endpoint and its floor run in alternating slices (floor, endpoint,
    # endpoint, floor, floor, endpoint), so that load from anything else on
    # the machine falls on both alike; each side's slices are pooled.
    slice_s = max(1, round(args.duration / args.slices))
    order = [side for i in range(args.slices) for side in (("floor", "endpoint") if i % 2 == 0
                                                           else ("endpoint", "floor"))]
    runs, rows, conns = [], [], args.connections

    def spec(name, url, connections=conns, method="GET", body=None, headers=None, register=None,
             login=None):
        return {"name": name, "url": url, "connections": connections, "method": method,
                "body": body, "headers": headers or {}, "register": register, "login": login}

    def run(s, seconds, tag):
        out = args.out / "raw" / f"{len(runs):03d}.json"
        env = dict(os.environ, WRK_OUT=str(out), WRK_METHOD=s["method"],
                   WRK_BODY="" if s["body"] is None else json.dumps(s["body"]),
                   WRK_HEADERS="\n".join(f"{k}: {v}" for k, v in s["headers"].items()),
                   # Usernames must differ between slices too.
                   WRK_REGISTER=f"{s['register']}{len(runs)}" if s["register"] else "",
                   WRK_LOGIN=",".join(s["login"] or []),
                   WRK_PASSWORD=password)
        load = loadavg()
        log(f"{s['name']} ({tag}): c={s['connections']} {seconds}s, load {load}")
        subprocess.run(["wrk", f"-t{min(2, s['connections'])}", f"-c{s['connections']}", f"-d{seconds}s",
                        "--timeout", "10s", "-s", str(HERE / "wrk.lua"), s["url"]],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        raw = json.loads(out.read_text())
        raw.update(name=s["name"], url=s["url"], connections=s["connections"], load_before=load,
                   file=out.name)
        runs.append(raw)
        return raw

    # ROWS=me,metrics runs only the rows of those keys (health, me, notification, metrics,
    # user-metrics, list, bearer, events, notify, login, register), to iterate faster.
    only = {key.strip() for key in os.environ.get("ROWS", "").split(",") if key.strip()}

    def row(key, endpoint, floor_name, endpoint_spec, floor_spec, metric="rps", goal=None, note=""):
        if only and key not in only:
            return
        sides = {"floor": [], "endpoint": []}
        for side in order:
            sides[side].append(run(endpoint_spec if side == "endpoint" else floor_spec, slice_s, side))
        result, floor = pool(sides["endpoint"]), pool(sides["floor"])
        for side in (result, floor):
            if side["errors"]:
                log(f"  {side['errors']} errors (non-2xx or socket) in {side['name']}")
        verdict = judge(result, floor, metric, goal)
        rows.append({"endpoint": endpoint, "connections": result["connections"], **verdict,
                     "floor": floor_name, "errors": result["errors"] + floor["errors"], "note": note,
                     "measured": result, "floor_measured": floor})
        rows[-1]["pair_ratios"] = pair_ratios(rows[-1], runs)
        ratio = verdict["ratio"]
        log(f"  {endpoint}: ratio {ratio if ratio is None else round(ratio, 2)}, "
            f"pairs {spread(rows[-1]['pair_ratios'], verdict['metric'])}")

    def reads_floor(calls):
        return spec(f"floor: {floor_name(calls)}", f"{floors}/floor/read?{floor_query(calls)}")

    hello = pool([run(spec("floor: hello", f"{floors}/floor/hello"), slice_s, "Spin alone")])

    # Health must answer within 2 s while the store hangs, and a key-value
    # call cannot be bounded inside the instance making it: each check asks
    # a second instance to read a probe key (written again at most once a
    # second), over a bounded chained call. Shown against one read (the
    # goal) and against that probe's own floor.
    probe_floor = spec("floor: chained call + 1 read", f"{floors}/floor/probe")
    for service in ("auth", "analytics", "notification"):
        health = spec(f"GET /{service}/health", f"{app}/{service}/health")
        row("health", f"GET /{service}/health", floor_name(reads["health"]), health, reads_floor(reads["health"]), goal=0.9)
        row("health", f"GET /{service}/health", "chained call + 1 read", health, probe_floor,
            note="the probe's floor")
    # Each read endpoint against its goal's floor, then against the same
    # store calls made through the app's own pipeline (request id, routing
    # with 404/405, the JSON answer, the access log line): what of the rest
    # is the contract's pipeline, and what the endpoint's own work.
    def read_rows(key, endpoint, url, calls, headers=None, note=""):
        measured = spec(endpoint, url, headers=headers)
        row(key, endpoint, floor_name(calls), measured, reads_floor(calls), goal=0.9, note=note)
        row(key, endpoint, f"pipeline + {floor_name(calls)}", measured,
            spec(f"floor: pipeline + {floor_name(calls)}", f"{floors}/floor/pipeline?{floor_query(calls)}"),
            note="the app's pipeline around the same reads")

    read_rows("me", "GET /auth/me", f"{app}/auth/me", reads["me"], headers=bearer)
    read_rows("notification", "GET /notification/notifications/{id}",
              f"{app}/notification/notifications/{notification_id}", reads["notification"],
              headers=internal, note="internal key")
    read_rows("metrics", "GET /analytics/metrics/actions", f"{app}/analytics/metrics/actions",
              reads["metrics"], note=f"{actions} actions")
    read_rows("user-metrics", "GET /analytics/metrics/user/{id}/actions",
              f"{app}/analytics/metrics/user/{user_id}/actions", reads["metrics"], headers=internal,
              note=f"internal key, {actions} actions")
    read_rows("list", "GET /notification/users/{id}/notifications",
              f"{app}/notification/users/{list_user}/notifications", reads["list"], headers=internal,
              note=f"internal key, {listed} listed")
    # With a bearer token, analytics first asks auth (GET /auth/me, chained):
    # shown against the reads of both, no goal.
    calls = reads["me"] + reads["metrics"]
    row("bearer", "GET /analytics/metrics/user/{id}/actions", floor_name(calls),
        spec("GET /analytics/metrics/user/{id}/actions (bearer)",
             f"{app}/analytics/metrics/user/{user_id}/actions", headers=bearer),
        reads_floor(calls), note="bearer: adds a chained GET /auth/me")

    row("events", "POST /analytics/events", "3 increments",
        spec("POST /analytics/events", f"{app}/analytics/events", method="POST",
             body={"user_id": user_id, "action": "bench.event"}, headers=internal),
        spec("floor: 3 increments", f"{floors}/floor/incr3", method="POST"),
        goal=0.8 if args.store == "sqlite" else 0.6, note="internal key, a new event each")

    # No goal for notify in the contract's performance goals; shown for what it costs.
    row("notify", "POST /notification/notify", "1 increment + 1 batch write",
        spec("POST /notification/notify", f"{app}/notification/notify", method="POST",
             body={"user_id": f"bench-notify-{run_id}", "message": "benchmark"}, headers=internal),
        spec("floor: 1 increment + 1 batch write", f"{floors}/floor/append", method="POST"),
        note="internal key, log channel")

    for clients, metric, goal in ((1, "p50", 1.15), (4, "rps", 0.85)):
        hash_floor = spec(f"floor: argon2id hash, {clients} client{'s' if clients > 1 else ''}",
                          f"{floors}/floor/hash", clients, method="POST")
        row("login", "POST /auth/login", "1 argon2id hash",
            spec(f"POST /auth/login c={clients}", f"{app}/auth/login", clients, method="POST", body={},
                 login=login_users),
            hash_floor, metric=metric, goal=goal)
        row("register", "POST /auth/register", "1 argon2id hash",
            spec(f"POST /auth/register c={clients}", f"{app}/auth/register", clients, method="POST",
                 body={}, register=f"b{run_id}c{clients}s"),
            hash_floor, metric=metric, goal=goal, note="a new username each")

    # ------------------------------------------------------------ audit
    #
    # The guarantees under the load just measured: after the outbox is
    # flushed, every event, login and registration answered with success is
    # counted once in analytics, give or take the requests wrk did not see
    # answered (see `pool`).
    audits = []
    if rows:
        pending = flush_outbox(app, internal)
        after = call("GET", f"{app}/analytics/metrics/actions")["actions"]
        for action, endpoint in (("bench.event", "POST /analytics/events"),
                                 ("login", "POST /auth/login"), ("register", "POST /auth/register")):
            served = [r["measured"] for r in rows if r["endpoint"] == endpoint]
            if served:
                audits.append(audit(action, metrics["actions"].get(action, 0), after.get(action, 0),
                                    sum(s["succeeded"] for s in served), sum(s["unseen"] for s in served),
                                    pending))
        for a in audits:
            log(f"audit {a['action']}: {a['counted']} counted for {a['succeeded']} answered "
                f"(+ up to {a['unseen']} unseen), {a['pending']} pending: {'ok' if a['ok'] else 'NOT OK'}")

    # ------------------------------------------------------------ report
    report = {
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                         if line.startswith("model name")), platform.processor()),
            "mem_kib": int(next(line.split()[1] for line in open("/proc/meminfo")
                                if line.startswith("MemTotal"))),
            **json.loads(args.meta),
        },
        "store": args.store,
        "duration_s": args.duration,
        "slices": args.slices,
        "connections": conns,
        "actions_in_index": actions,
        "notifications_listed": listed,
        "floor_reads": reads,
        "hello": hello,
        "rows": rows,
        "audit": audits,
        "runs": runs,
    }
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    markdown = render(report)
    (args.out / "results.md").write_text(markdown)
    print(markdown)


def render(report):
    m = report["machine"]
    lines = [
        f"# {report['store']}: endpoints against their floors",
        "",
        f"- machine: {m['nproc']} cores, {m['cpu']}, {m['mem_kib'] / 1048576:.1f} GiB RAM",
    ]
    for key in sorted(k for k in m if k not in ("nproc", "cpu", "mem_kib")):
        lines.append(f"- {key}: {m[key]}")
    hello = report["hello"]
    lines += [
        f"- wrk: each endpoint and its floor {report['duration_s']} s each, in {report['slices']} "
        f"alternating slices; {report['connections']} connections unless the row says otherwise; "
        "load average before each slice in results.json",
        f"- {report['actions_in_index']} actions in the analytics index, "
        f"{report['notifications_listed']} notifications listed; floor reads {report['floor_reads']}",
        f"- floor hello (Spin alone): {hello['rps']:,.0f} req/s, p50 {hello['p50_ms']:.1f} ms",
        "",
        "`pairs`: the ratio within each pair of neighbouring slices, lowest to highest.",
        "",
        "| endpoint | clients | measured | floor | floor measured | ratio | pairs | goal | note |",
        "|---|---:|---:|---|---:|---:|---:|---|---|",
    ]
    for r in report["rows"]:
        pairs = spread(pair_ratios(r, report["runs"]), r["metric"])
        if r["metric"] == "none":
            value = floor = ratio = "no answer in a slice"
            goal = ""
        elif r["metric"] == "rps":
            value, floor = f"{r['value']:,.0f} req/s", f"{r['floor_value']:,.0f} req/s"
            ratio, goal = f"{r['ratio']:.2f}", "" if r["goal"] is None else f"≥ {r['goal']}"
        else:
            value, floor = f"p50 {r['value']:.1f} ms", f"p50 {r['floor_value']:.1f} ms"
            ratio, goal = f"{r['ratio']:.2f}×", f"≤ {r['goal']}×"
        if r["met"] is not None:
            goal += " ✓" if r["met"] else " ✗"
        note = r["note"] + (f"; {r['errors']} errors" if r["errors"] else "")
        lines.append(f"| `{r['endpoint']}` | {r['connections']} | {value} | {r['floor']} | {floor} "
                     f"| {ratio} | {pairs} | {goal} | {note} |")
    # Older reports have no audit, or no count of what the outbox still held.
    if report.get("audit"):
        lines += ["", "Counted in analytics after the run (the outbox flushed), against the successful answers:", ""]
        for a in report["audit"]:
            lines.append(f"- `{a['action']}`: {a['counted']:,} counted, {a['succeeded']:,} answered, "
                         f"up to {a['unseen']:,} unseen" + (f", {a['pending']:,} still in auth's outbox"
                                                           if a.get("pending") else "")
                         + f": {'✓' if a['ok'] else '✗'}")
    loads = [run["load_before"] for run in report["runs"]]
    lines += ["", f"Load average before the first run: {loads[0]}; before the last: {loads[-1]}.", ""]
    return "\n".join(lines)


def combine(directories):
    """One table of several stores' runs (bench/ratios.sh both prints it)."""
    reports = [json.loads((Path(d) / "results.json").read_text()) for d in directories]
    head = "| endpoint | clients | floor | " + " | ".join(
        f"{r['store']}: measured / floor | ratio" for r in reports) + " | goal |"
    lines = [head, "|---|---:|---|" + "---:|---:|" * len(reports) + "---|"]
    for index, first in enumerate(reports[0]["rows"]):
        cells = []
        for report in reports:
            r = report["rows"][index]
            pairs = spread(pair_ratios(r, report["runs"]))
            if r["metric"] == "none":
                cells += ["no answer in a slice", ""]
            elif r["metric"] == "rps":
                cells += [f"{r['value']:,.0f} / {r['floor_value']:,.0f} req/s", f"{r['ratio']:.2f} ({pairs})"]
            else:
                cells += [f"p50 {r['value']:.0f} / {r['floor_value']:.0f} ms", f"{r['ratio']:.2f}× ({pairs})"]
        floors = list(dict.fromkeys(report["rows"][index]["floor"] for report in reports))
        goal = "" if first["goal"] is None else (
            f"≤ {first['goal']}×" if first["metric"] == "p50" else f"≥ {first['goal']}")
        if first["endpoint"] == "POST /analytics/events":
            goal = "≥ 0.8 SQLite, ≥ 0.6 Redis"
        name = f"`{first['endpoint']}`" + (" (bearer)" if "bearer" in first["note"] else "")
        lines.append(f"| {name} | {first['connections']} | {' / '.join(floors)} | "
                     + " | ".join(cells) + f" | {goal} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:2] == ["combine"]:
        print(combine(sys.argv[2:]), end="")
    elif sys.argv[1:2] == ["render"]:
        # results.md again from results.json, e.g. after the table changed,
        # keeping the line bench/ratios.sh appends.
        for directory in map(Path, sys.argv[2:]):
            report = json.loads((directory / "results.json").read_text())
            markdown = directory / "results.md"
            appended = [line + "\n" for line in markdown.read_text().splitlines()
                        if line.startswith("uptime after:")]
            markdown.write_text(render(report) + "".join(appended))
    else:
        main()
