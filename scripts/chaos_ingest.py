#!/usr/bin/env python3
"""Fault-injection load test of rating ingest (issue #9, point 1). Run by scripts/chaos-ingest.

Starts a private PostgreSQL cluster (so restarting or pausing it disturbs nothing else on the
machine), loads the demo province into it, starts two `sipas serve` nodes sharing their rate
limits (Redis if it answers, else PostgreSQL), and submits ratings through the JSON API at a
steady rate, spread over both nodes, each with its own submission id and a tenth of them sent a
second time. A client that gets no acknowledgment (an error, a 503, a dropped connection, a
timeout) sends the same id again later, to the other node, as a kiosk would. During the run it
restarts PostgreSQL, kills one node with SIGKILL and starts it again, and pauses PostgreSQL
(SIGSTOP on every one of its processes for 5 s, then SIGCONT).

At the end it compares what was acknowledged with what PostgreSQL holds and prints a table:
submitted, acknowledged, stored, acknowledged-but-missing, stored-twice, what clients saw
during the faults, and how long after each fault both nodes were ready and took ratings again.
Exit status 1 if anything acknowledged is missing, anything is stored twice, any answer was a
500, leaked an internal message, or hung past the client's timeout.

Standard library only.
"""

import argparse
import csv
import http.client
import json
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

CLIENT_TIMEOUT = 10.0  # seconds: an answer later than this is a hang
PG_BIN = None


def find_pg_bin():
    for version in ("17", "16", "15", "14", "13"):
        path = f"/usr/lib/postgresql/{version}/bin"
        if os.path.exists(os.path.join(path, "initdb")):
            return path
    sys.exit("chaos-ingest: PostgreSQL server binaries (initdb, pg_ctl) not found")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(cmd):
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


class Cluster:
    def __init__(self, root):
        self.dir = os.path.join(root, "pg")
        self.sock = os.path.join(root, "sock")
        self.port = free_port()
        os.makedirs(self.sock)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(self.sock, "postgres")
        subprocess.run(
            as_postgres([f"{PG_BIN}/initdb", "-D", self.dir, "-U", "postgres", "-A", "trust",
                         "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]),
            check=True, stdout=subprocess.DEVNULL)
        self.start()

    def ctl(self, *args):
        subprocess.run(
            as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.dir, "-w", "-t", "60",
                         "-l", os.path.join(self.dir, "log"),
                         "-o", f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 "
                               "-c max_connections=200 -c fsync=on"] + list(args)),
            check=True, stdout=subprocess.DEVNULL)

    def start(self):
        self.ctl("start")

    def restart(self):
        self.ctl("restart", "-m", "fast")

    def stop(self):
        try:
            self.ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass

    def pids(self):
        with open(os.path.join(self.dir, "postmaster.pid")) as f:
            postmaster = int(f.readline())
        out = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True)
        return [postmaster] + [int(p) for p in out.stdout.split()]

    def url(self, db="sipas"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def psql(self, sql):
        out = subprocess.run(["psql", "--no-psqlrc", "-Atq", "-d", self.url(), "-c", sql],
                             capture_output=True, text=True, check=True)
        return out.stdout


class Node:
    def __init__(self, name, binary, env, log_dir):
        self.name, self.binary, self.env = name, binary, env
        self.port = free_port()
        self.log = open(os.path.join(log_dir, f"{name}.log"), "ab")
        self.proc = None
        self.start()

    def start(self):
        env = dict(self.env, SIPAS_BIND=f"127.0.0.1:{self.port}")
        self.proc = subprocess.Popen([self.binary, "serve"], env=env,
                                     stdout=self.log, stderr=self.log)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def request(port, method, path, body=None, timeout=CLIENT_TIMEOUT):
    """(status or None, headers, body text, seconds, error name)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"content-type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        return resp.status, dict(resp.getheaders()), text, time.monotonic() - started, None
    except socket.timeout:
        return None, {}, "", time.monotonic() - started, "timeout"
    except ConnectionRefusedError:
        return None, {}, "", time.monotonic() - started, "refused"
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        return None, {}, "", time.monotonic() - started, "reset"
    except OSError as e:
        return None, {}, "", time.monotonic() - started, type(e).__name__
    finally:
        conn.close()


READY_SECONDS = []  # how long each readiness answer took (a stalled probe would show here)


def ready(port):
    status, _, _, secs, _ = request(port, "GET", "/health/ready", timeout=10)
    READY_SECONDS.append(secs)
    return status == 200


class Load:
    """Steady submissions over both nodes; every id retried until acknowledged."""

    def __init__(self, nodes, tokens, rate, seconds, threads=24, seed=9):
        self.nodes, self.tokens, self.rate, self.seconds = nodes, tokens, rate, seconds
        self.rng = random.Random(seed)
        self.work = queue.Queue()
        self.lock = threading.Lock()
        self.bodies = {}          # id -> body
        self.acked = set()        # ids acknowledged (201 created or 200 duplicate)
        self.answers = []         # (t, status, error, seconds, retry_after, internal)
        self.sent = 0
        self.replays = 0
        self.stop_at = None
        self.t0 = None
        self.threads = threads

    def body(self, sid):
        answers = {q: self.rng.choice([1, 2, 3, 4, 5, None]) for q in
                   ("F1", "F2", "F3", "F4", "F5", "OVERALL")}
        return json.dumps({
            "submission_id": sid,
            "desk_token": self.rng.choice(self.tokens),
            "channel": "kiosk",
            "answers": {k: v for k, v in answers.items()},
            "comment": "Đánh giá thử nghiệm chịu lỗi",
        })

    def producer(self):
        interval = 1.0 / self.rate
        n = 0
        while True:
            due = self.t0 + n * interval
            now = time.monotonic()
            if due >= self.stop_at:
                break
            if due > now:
                time.sleep(due - now)
            sid = str(uuid.uuid4())
            with self.lock:
                self.bodies[sid] = self.body(sid)
            self.work.put((time.monotonic(), sid, n % 2, False))
            # A tenth are sent a second time a little later (a double tap, a kiosk's resend).
            if n % 10 == 0:
                self.work.put((time.monotonic() + 1.5, sid, (n + 1) % 2, True))
            n += 1

    def worker(self):
        while True:
            item = self.work.get()
            if item is None:
                return
            not_before, sid, node_ix, replay = item
            wait = not_before - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, 0.5))
                if wait > 0.5:
                    self.work.put(item)
                    continue
            node = self.nodes[node_ix]
            t = time.monotonic() - self.t0
            status, headers, text, secs, error = request(node.port, "POST", "/api/v1/responses",
                                                         self.bodies[sid])
            retry_after = headers.get("Retry-After") or headers.get("retry-after")
            internal = status == 500 or any(
                w in text for w in ("panicked", "diesel", "SQLSTATE", "Traceback", "at src/"))
            with self.lock:
                self.sent += 1
                self.replays += int(replay)
                self.answers.append((t, status, error, secs, retry_after, internal))
                if status in (200, 201):
                    self.acked.add(sid)
                    continue
            # Not acknowledged: try again on the other node, after what the server asked for.
            delay = min(float(retry_after), 2.0) if retry_after else 0.3
            self.work.put((time.monotonic() + delay, sid, 1 - node_ix, replay))

    def run(self, drain_seconds=60):
        self.t0 = time.monotonic()
        self.stop_at = self.t0 + self.seconds
        workers = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.threads)]
        for w in workers:
            w.start()
        self.producer()
        # Drain: every id not yet acknowledged keeps being retried for a while.
        deadline = time.monotonic() + drain_seconds
        while time.monotonic() < deadline:
            with self.lock:
                pending = set(self.bodies) - self.acked
            if not pending and self.work.qsize() == 0:
                break
            time.sleep(0.2)
        for _ in workers:
            self.work.put(None)


def _count(items):
    out = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


def sign_in(port, user, password):
    """The session cookie of `user` signed in on the node at `port`, through the sign-in page."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    conn.request("GET", "/admin/login")
    resp = conn.getresponse()
    page = resp.read().decode("utf-8", "replace")
    cookies = [c.split(";", 1)[0] for k, c in resp.getheaders() if k.lower() == "set-cookie"]
    start = page.index('name="csrf" value="') + len('name="csrf" value="')
    csrf = page[start:page.index('"', start)]
    body = "&".join(f"{k}={v}" for k, v in [("username", user), ("password", password.replace(" ", "+")),
                                             ("csrf", csrf), ("next", "/admin")])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if cookies:
        headers["cookie"] = "; ".join(cookies)
    conn.request("POST", "/admin/login", body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    for k, c in resp.getheaders():
        if k.lower() == "set-cookie" and c.startswith("sipas_session="):
            return c.split(";", 1)[0]
    sys.exit(f"chaos-ingest: could not sign in ({resp.status})")


def readers(nodes, t0, stop, cookie, token, seen):
    """A staff member's dashboard and the read API, every 0.5 s on alternate nodes:
    (t, what, status or None, seconds, error)."""
    k = 0
    while not stop.is_set():
        node = nodes[k % 2]
        k += 1
        for what, path, header in (("staff page", "/admin/dashboard", ("cookie", cookie)),
                                   ("read API", "/api/v1/agencies", ("authorization", f"Bearer {token}"))):
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=CLIENT_TIMEOUT)
            try:
                conn.request("GET", path, headers=dict([header]))
                resp = conn.getresponse()
                resp.read()
                seen.append((started - t0, what, resp.status, time.monotonic() - started, None))
            except socket.timeout:
                seen.append((started - t0, what, None, time.monotonic() - started, "timeout"))
            except OSError as e:
                seen.append((started - t0, what, None, time.monotonic() - started, type(e).__name__))
            finally:
                conn.close()
        time.sleep(0.5)


def monitor(nodes, t0, stop, samples):
    """Readiness of both nodes and a test rating every 0.2 s: (t, all ready)."""
    while not stop.is_set():
        t = time.monotonic() - t0
        samples.append((t, all(ready(n.port) for n in nodes)))
        time.sleep(0.2)


def main():
    global PG_BIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--rate", type=float, default=40, help="new submissions per second")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--rate-store", choices=["auto", "memory", "postgres", "redis"], default="auto",
                    help="where the nodes keep rate limits (auto: Redis if it answers, else PostgreSQL)")
    ap.add_argument("--stall", type=float, default=5.0,
                    help="seconds PostgreSQL is paused (SIGSTOP) in the third fault")
    args = ap.parse_args()
    PG_BIN = find_pg_bin()
    root = tempfile.mkdtemp(prefix="sipas-chaos-")
    os.chmod(root, 0o755)
    cluster = Cluster(root)
    nodes = []
    try:
        redis_url = os.environ.get("SIPAS_REDIS_URL", "redis://127.0.0.1:6379")
        shared = args.rate_store
        if shared == "auto":
            try:
                with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    shared = "redis" if s.recv(16).startswith(b"+PONG") else "postgres"
            except OSError:
                shared = "postgres"
        env = dict(os.environ, DATABASE_URL=cluster.url(), SIPAS_SECRET="chaos-" + "s" * 40,
                   SIPAS_LOG="warn", SIPAS_TRUST_PROXY="0",
                   SIPAS_RATE_PER_CLIENT="1000000/min,burst=100000",
                   SIPAS_RATE_PER_DESK="1000000/min,burst=100000",
                   SIPAS_RATE_STORE=shared, SIPAS_DB_POOL="8", SIPAS_WORKERS="2")
        if shared == "redis":
            env["SIPAS_REDIS_URL"] = redis_url
        else:
            env.pop("SIPAS_REDIS_URL", None)
        subprocess.run([args.binary, "demo", "--responses", "2000"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        password = "chaos password long enough"
        subprocess.run([args.binary, "user", "chaos.admin", "--role", "admin"],
                       env=dict(env, SIPAS_PASSWORD=password), check=True,
                       stdout=subprocess.DEVNULL)
        api_token = subprocess.run([args.binary, "api-token", "create", "--user", "chaos.admin"],
                                   env=env, check=True, capture_output=True,
                                   text=True).stdout.strip().split()[-1]
        qr = os.path.join(root, "qr")
        subprocess.run([args.binary, "qr", "--out", qr], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(qr, "index.csv"), encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        url_col = next(c for c in rows[0] if "url" in c.lower())
        tokens = [r[url_col].rstrip("/").rsplit("/q/", 1)[1] for r in rows]
        before = int(cluster.psql("SELECT count(*) FROM responses"))

        nodes = [Node(n, args.binary, env, root) for n in ("a", "b")]
        for n in nodes:
            for _ in range(100):
                if ready(n.port):
                    break
                time.sleep(0.1)
            else:
                sys.exit(f"chaos-ingest: node {n.name} did not become ready")

        load = Load(nodes, tokens, args.rate, args.seconds)
        stop = threading.Event()
        samples = []
        faults = []  # (name, start t, end t)
        runner = threading.Thread(target=load.run)
        runner.start()
        while load.t0 is None:
            time.sleep(0.01)
        mon = threading.Thread(target=monitor, args=(nodes, load.t0, stop, samples), daemon=True)
        mon.start()
        read = []
        cookie = sign_in(nodes[1].port, "chaos.admin", password)
        reader = threading.Thread(target=readers, args=(nodes, load.t0, stop, cookie, api_token, read),
                                  daemon=True)
        reader.start()

        def at(fraction):
            target = load.t0 + args.seconds * fraction
            time.sleep(max(0.0, target - time.monotonic()))
            return time.monotonic() - load.t0

        t = at(1 / 6)
        cluster.restart()
        faults.append(("PostgreSQL restarted (pg_ctl restart -m fast)", t, time.monotonic() - load.t0))
        t = at(2 / 6)
        nodes[0].kill()
        time.sleep(1.0)
        nodes[0].start()
        faults.append(("node a killed (SIGKILL), started again after 1 s", t, time.monotonic() - load.t0))
        t = at(4 / 6)
        pids = cluster.pids()
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        time.sleep(args.stall)
        for p in pids:
            os.kill(p, signal.SIGCONT)
        faults.append((f"PostgreSQL paused {args.stall:.0f} s (SIGSTOP, SIGCONT)", t,
                       time.monotonic() - load.t0))
        runner.join()
        stop.set()
        mon.join()
        reader.join()

        ids = list(load.bodies)
        id_file = os.path.join(root, "ids.txt")
        with open(id_file, "w") as f:
            f.write("\n".join(ids) + "\n")
        os.chmod(id_file, 0o644)
        counts = subprocess.run(
            ["psql", "--no-psqlrc", "-Atq", "-d", cluster.url(), "-c",
             "CREATE TEMP TABLE sent (id uuid PRIMARY KEY)",
             "-c", f"\\copy sent FROM '{id_file}'",
             "-c", "SELECT (SELECT count(*) FROM responses r JOIN sent USING (id)),"
                   " (SELECT count(*) FROM (SELECT id FROM responses GROUP BY id HAVING count(*) > 1) d),"
                   " (SELECT count(*) FROM responses)",
             "-c", "SELECT id FROM sent EXCEPT SELECT id FROM responses"],
            capture_output=True, text=True, check=True).stdout.split("\n")
        stored, twice, total = (int(v) for v in counts[0].split("|"))
        not_stored = {line.strip() for line in counts[1:] if line.strip()}
        missing = len(load.acked & not_stored)
        extra = total - before - stored  # rows nobody submitted in this run

        # Answers during faults: from each fault's start to the moment both nodes were ready again.
        print()
        print(f"chaos-ingest: {args.seconds:.0f} s at {args.rate:.0f} new ratings/s over 2 nodes "
              f"(shared limits: {shared}), {len(tokens)} demo desks")
        print()
        print(f"{'fault':52} {'at s':>6} {'lasted s':>9} {'healthy again after s':>22}")
        recoveries = []
        for name, start, end in faults:
            after = next((t for t, ok in samples if t >= end and ok), None)
            rec = None if after is None else after - start
            recoveries.append(rec)
            shown = "never" if rec is None else f"{rec:.1f}"
            print(f"{name:52} {start:6.1f} {end - start:9.1f} {shown:>22}")
        print()
        statuses = {}
        for t, status, error, secs, retry_after, internal in load.answers:
            key = str(status) if status else error
            statuses[key] = statuses.get(key, 0) + 1
        no_retry_after = sum(1 for a in load.answers if a[1] == 503 and not a[4])
        errors_500 = sum(1 for a in load.answers if a[1] is not None and a[1] >= 500 and a[1] != 503)
        internal = sum(1 for a in load.answers if a[5])
        hangs = sum(1 for a in load.answers if a[2] == "timeout")
        slowest_503 = max((a[3] for a in load.answers if a[1] == 503), default=0.0)
        slowest = max((a[3] for a in load.answers), default=0.0)
        readers_500 = sum(1 for x in read if x[2] is not None and x[2] >= 500 and x[2] != 503)
        readers_hung = sum(1 for x in read if x[4] == "timeout")
        rows = [
            ("submitted (distinct ids)", len(ids)),
            ("requests sent (with replays and retries)", load.sent),
            ("  of which planned replays", load.replays),
            ("acknowledged", len(load.acked)),
            ("stored", stored),
            ("acknowledged-but-missing", missing),
            ("stored-twice", twice),
            ("rows nobody submitted", extra),
            ("answers by status", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))),
            ("503 without Retry-After", no_retry_after),
            ("5xx other than 503", errors_500),
            ("answers with an internal message", internal),
            (f"hangs past {CLIENT_TIMEOUT:.0f} s", hangs),
            ("slowest 503 s", f"{slowest_503:.2f}"),
            ("slowest answer s", f"{slowest:.2f}"),
            ("slowest readiness answer s", f"{max(READY_SECONDS, default=0.0):.2f}"),
            ("staff pages and read API: answers", ", ".join(
                f"{w} {st or e}: {n}" for (w, st, e), n in sorted(
                    _count((w, st, e) for _, w, st, _, e in read).items(), key=str))),
            ("  5xx other than 503", readers_500),
            ("  hangs past 10 s", readers_hung),
            ("slowest staff page s", f"{max((x[3] for x in read if x[1] == 'staff page'), default=0.0):.2f}"),
            ("slowest read API s", f"{max((x[3] for x in read if x[1] == 'read API'), default=0.0):.2f}"),
        ]
        for label, value in rows:
            print(f"{label:44} {value}")
        ok = (missing == 0 and twice == 0 and extra == 0 and errors_500 == 0 and internal == 0
              and hangs == 0 and readers_500 == 0 and readers_hung == 0 and no_retry_after == 0 and len(load.acked) == len(ids)
              and all(r is not None for r in recoveries))
        print()
        print("RESULT:", "PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        for n in nodes:
            n.stop()
        cluster.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"work directory kept: {root}")


if __name__ == "__main__":
    sys.exit(main())
