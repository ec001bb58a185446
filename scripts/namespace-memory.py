#!/usr/bin/env python3
"""Prints the emulator's resident memory around many sdkappids (issue 11 B).

Starts target/release/tim-emulator on a free loopback port, then:
  1. N requests that store nothing (bad JSON 60003, a non-admin 10007, get_group_info and
     account_check reads), each on an sdkappid of its own;
  2. one account_import on each of M more sdkappids (apps that hold state).
After each step it prints VmRSS and the app counts of GET /_emulator/health and of the state
export. Usage: cargo build --release && scripts/namespace-memory.py [N] [M] [THREADS]
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
M = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 4
BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "tim-emulator")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def query(app, who="admin"):
    return f"sdkappid={app}&identifier={who}&usersig=x&random=1&contenttype=json"


REFUSED = [
    ("group_open_http_svc/create_group", "admin", "not json"),
    ("group_open_http_svc/create_group", "bob", '{"Type":"Public","Name":"n"}'),
    ("group_open_http_svc/get_group_info", "admin", '{"GroupIdList":["g"]}'),
    ("im_open_login_svc/account_check", "admin", '{"CheckItem":[{"UserID":"u"}]}'),
]


def worker(port, apps, make, codes):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for app in apps:
        path, who, body = make(app)
        conn.request("POST", f"/v4/{path}?{query(app, who)}", body)
        code = json.loads(conn.getresponse().read())["ErrorCode"]
        codes[code] = codes.get(code, 0) + 1


def run(port, apps, make):
    chunks = [apps[i::THREADS] for i in range(THREADS)]
    results = [dict() for _ in chunks]
    threads = [
        threading.Thread(target=worker, args=(port, c, make, r)) for c, r in zip(chunks, results)
    ]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = {}
    for r in results:
        for k, v in r.items():
            codes[k] = codes.get(k, 0) + v
    return codes, time.time() - started


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", path)
    return json.loads(conn.getresponse().read())


def report(port, pid, label):
    health = get(port, "/_emulator/health")
    exported = len(get(port, "/_emulator/state")["apps"])
    print(
        f"{label}: VmRSS {rss_kib(pid) / 1024:.1f} MiB; stored_apps {health['stored_apps']} "
        f"(max {health['max_apps']}); apps in the state export {exported}"
    )
    return rss_kib(pid)


def main():
    port = free_port()
    proc = subprocess.Popen(
        [BIN, "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                get(port, "/_emulator/health")
                break
            except OSError:
                time.sleep(0.05)
        base = report(port, proc.pid, "started")
        codes, secs = run(port, list(range(1, N + 1)), lambda a: REFUSED[a % len(REFUSED)])
        print(f"{N} requests storing nothing, one sdkappid each, in {secs:.1f} s: {codes}")
        after = report(port, proc.pid, "after them")
        print(f"  growth {(after - base) / 1024:.1f} MiB, {(after - base) * 1024 / N:.0f} bytes per sdkappid")
        apps = list(range(10_000_001, 10_000_001 + M))
        imp = ("im_open_login_svc/account_import", "admin", '{"UserID":"u"}')
        codes, secs = run(port, apps, lambda a: imp)
        print(f"{M} account_imports, one sdkappid each, in {secs:.1f} s: {codes}")
        stored = report(port, proc.pid, "after them")
        print(f"  growth {(stored - after) / 1024:.1f} MiB, {(stored - after) * 1024 / M:.0f} bytes per app holding state")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
