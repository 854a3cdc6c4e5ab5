"""The red team of scripts/red-team (issue #19, point 5): honest citizens rate every desk at a
plausible pace while a clerk inflates six desks, one pattern each, and tries every receipt
attack; then the held ratings are read back and the table printed. Standard library only."""

import argparse
import csv
import datetime
import json
import random
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

PATTERNS = ["burst", "fast fill", "no form", "identical answers", "after hours", "one phone"]
RECEIPT_ATTACKS = ["replayed receipt", "forged receipt", "expired receipt", "other agency's receipt"]


class Red:
    def __init__(self, a):
        self.base = a.base
        self.db = a.database
        self.system = a.system_token
        self.seconds = a.minutes * 60
        self.rng = random.Random(2026)
        self.lock = threading.Lock()
        self.sent = {p: [] for p in PATTERNS}
        self.honest = []
        self.refused = {p: [0, 0] for p in RECEIPT_ATTACKS}  # [sent, refused]
        self.failures = []
        self.pending = []  # honest phones still filling in their forms
        with open(a.qr, encoding="utf-8-sig") as f:
            self.desks = [(int(r["desk_id"]), r["agency_code"], r["url"].rsplit("/q/", 1)[1])
                          for r in csv.DictReader(f)]

    # --- HTTP -------------------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, form=None):
        data, h = None, dict(headers or {})
        if body is not None:
            data, h["Content-Type"] = json.dumps(body).encode(), "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.base + path, data=data, headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def phone(self):
        return "100.%d.%d.%d" % (self.rng.randrange(64, 128), self.rng.randrange(256), self.rng.randrange(1, 255))

    def answers(self, same=None):
        if same is not None:
            return {k: same for k in ["F1", "F2", "F3", "F4", "F5", "OVERALL"]}
        mood = self.rng.random()
        def one():
            r = self.rng.random()
            return 5 if r < 0.25 + 0.3 * mood else 4 if r < 0.7 + 0.1 * mood else self.rng.randrange(1, 4)
        return {k: one() for k in ["F1", "F2", "F3", "F4", "F5", "OVERALL"]}

    def form_rating(self, token, address, fill_seconds, stamp=True):
        """A phone opening the desk's form, reading for `fill_seconds`, and sending it."""
        status, page = self.request("GET", "/q/" + token, headers={"X-Forwarded-For": address})
        if status != 200:
            self.failures.append("GET /q: %d" % status)
            return None
        sid = re.search(r'name="submission_id" value="([^"]+)"', page).group(1)
        rendered = re.search(r'name="rendered" value="([^"]+)"', page).group(1)
        time.sleep(fill_seconds)
        fields = {"submission_id": sid}
        if stamp:
            fields["rendered"] = rendered
        fields.update({"a." + k: str(v) for k, v in self.answers().items()})
        status, _ = self.request("POST", "/q/" + token, form=fields, headers={"X-Forwarded-For": address})
        if status != 200:
            self.failures.append("POST /q: %d" % status)
        return sid

    def kiosk_rating(self, token, answers=None):
        sid = str(uuid.uuid4())
        status, body = self.request("POST", "/api/v1/responses", body={
            "submission_id": sid, "desk_token": token, "channel": "kiosk",
            "answers": answers or self.answers()})
        if status != 201:
            self.failures.append("kiosk: %d %s" % (status, body[:120]))
        return sid

    def psql(self, sql):
        return subprocess.run(["psql", "--no-psqlrc", "-Atq", "-d", self.db, "-c", sql],
                              check=True, capture_output=True, text=True).stdout.strip()

    # --- the crowd and the clerk ------------------------------------------------------------

    def honest_desk(self, token, stop_at):
        """Honest citizens at one desk: about two ratings in ten minutes, seven in ten by phone."""
        while True:
            with self.lock:
                wait = self.rng.expovariate(2 / 600)
            if time.time() + wait >= stop_at:
                return
            time.sleep(wait)
            if self.rng.random() < 0.7:
                fill = self.rng.uniform(12, 60)
                address = self.phone()
                t = threading.Thread(target=lambda: self.record_honest(
                    token, self.form_rating(token, address, fill)))
                t.start()
                with self.lock:
                    self.pending.append(t)
            else:
                self.record_honest(token, self.kiosk_rating(token))

    def record_honest(self, token, sid):
        if sid:
            with self.lock:
                self.honest.append((token, sid))

    def spread(self, n, start, action, pattern):
        """`n` ratings of a pattern spread evenly over the run, from `start` seconds in."""
        gap = max((self.seconds - start - 60) / n, 1)
        time.sleep(start)
        threads = []
        for _ in range(n):
            t = threading.Thread(target=lambda: self.keep(pattern, action()))
            t.start()
            threads.append(t)
            time.sleep(gap)
        for t in threads:
            t.join()

    def keep(self, pattern, sid):
        if sid:
            with self.lock:
                self.sent[pattern].append(sid)

    def clerk(self, desks):
        burst, fast, bare, same, closed, mine = desks
        clerk_phone = "113.160.9.9"
        # The patterns other than the burst at a clerk's pace, twenty an hour (at least five
        # in a short run): fast enough to matter to a desk's index, too slow to be a burst.
        n = max(5, round(self.seconds / 180))
        actors = [
            # Thirty at once through the kiosk, in the middle of the run.
            lambda: (time.sleep(self.seconds / 2),
                     [self.keep("burst", self.kiosk_rating(burst)) for _ in range(30)]),
            lambda: self.spread(n, 5, lambda: self.form_rating(fast, self.phone(), 0.5), "fast fill"),
            lambda: self.spread(n, 5, lambda: self.form_rating(bare, self.phone(), 15, stamp=False), "no form"),
            lambda: self.spread(n, 5, lambda: self.kiosk_rating(same, self.answers(same=5)), "identical answers"),
            lambda: self.spread(n, 5, lambda: self.kiosk_rating(closed), "after hours"),
            lambda: self.spread(n, 5, lambda: self.form_rating(mine, clerk_phone, 15), "one phone"),
        ]
        threads = [threading.Thread(target=a) for a in actors]
        for t in threads:
            t.start()
        return threads

    def receipts(self):
        auth = {"Authorization": "Bearer " + self.system}
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")

        def issue(code, agency="DEMO.S01"):
            return self.request("POST", "/api/v1/receipts", headers=auth, body={
                "dossier_code": code, "agency_code": agency, "returned_at": now})

        def rate(token):
            return self.request("POST", "/api/v1/responses", body={
                "submission_id": str(uuid.uuid4()), "receipt_token": token, "answers": self.answers()})[0]

        def count(attack, status, ok):
            self.refused[attack][0] += 1
            self.refused[attack][1] += int(not ok(status))

        for k in range(5):
            status, body = issue("RT-%d" % k)
            token = json.loads(body)["receipt_token"]
            if rate(token) != 201:
                self.failures.append("a receipt's first rating was refused")
            count("replayed receipt", rate(token), lambda s: 200 <= s < 300)
            forged = token[:-1] + ("A" if token[-1] != "A" else "B")
            count("forged receipt", rate(forged), lambda s: 200 <= s < 300)
            status, body = issue("RT-OLD-%d" % k)
            old = json.loads(body)["receipt_token"]
            self.psql("UPDATE receipts SET returned_on = current_date - 40, expires_on = current_date - 10 "
                      "WHERE id = (SELECT max(id) FROM receipts)")
            count("expired receipt", rate(old), lambda s: 200 <= s < 300)
            status, _ = issue("RT-OTHER-%d" % k, agency="DEMO.S02")
            count("other agency's receipt", status, lambda s: 200 <= s < 300)

    def run(self):
        # Six desks for the clerk (one pattern each), the rest for honest traffic only; the
        # clerk's desks see honest citizens too, except the one closed now.
        desks = self.desks[:]
        self.rng.shuffle(desks)
        clerk_desks = [d[2] for d in desks[:6]]
        self.clerk_desks = set(clerk_desks)
        closed_id = desks[4][0]
        weekday = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).weekday()
        other_day = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"][(weekday + 2) % 7]
        self.psql("UPDATE desks SET opening_hours = '%s 07:00-08:00' WHERE id = %d" % (other_day, closed_id))
        stop_at = time.time() + self.seconds - 60
        crowd = [threading.Thread(target=self.honest_desk, args=(d[2], stop_at))
                 for d in desks if d[0] != closed_id]
        for t in crowd:
            t.start()
        attackers = self.clerk(clerk_desks)
        self.receipts()
        for t in crowd + attackers:
            t.join()
        for t in list(self.pending):
            t.join()
        time.sleep(3)
        return self.report()

    def report(self):
        held = set(self.psql("SELECT response_id FROM held_ratings WHERE decision IS NULL").split())
        missed = []
        print("%-24s %6s %7s %14s" % ("pattern", "sent", "caught", "slipped through"))
        for p in PATTERNS:
            ids = self.sent[p]
            caught = sum(1 for i in ids if i in held)
            share = caught / len(ids) if ids else 0
            print("%-24s %6d %7d %14d   %5.1f%%" % (p, len(ids), caught, len(ids) - caught, 100 * share))
            if share < 0.95:
                missed.append(p)
        for p in RECEIPT_ATTACKS:
            sent, refused = self.refused[p]
            print("%-24s %6d %7d %14d   (refused)" % (p, sent, refused, sent - refused))
            if refused < sent:
                missed.append(p)
        wrongly = [i for _, i in self.honest if i in held]
        share = len(wrongly) / len(self.honest) if self.honest else 0
        print("%-24s %6d %7s %14s   %5.2f%% wrongly held" % ("honest ratings", len(self.honest), len(wrongly), "", 100 * share))
        for label, mine in (("  at the clerk's desks", True), ("  at the other desks", False)):
            ids = [i for t, i in self.honest if (t in self.clerk_desks) == mine]
            n = sum(1 for i in ids if i in held)
            print("%-24s %6d %7d %14s   %5.2f%%" % (label, len(ids), n, "", 100 * n / len(ids) if ids else 0))
        if wrongly:
            ids = ",".join("'%s'" % i for i in wrongly)
            why = self.psql("SELECT string_agg(r, ', ') FROM (SELECT reason || ' ' || count(*) AS r "
                            "FROM held_ratings, unnest(reasons) AS reason WHERE response_id IN (%s) "
                            "GROUP BY reason ORDER BY reason) x" % ids)
            print("%-24s held for: %s" % ("", why))
            # Where and when, with the burst's numbers: what a reviewer would read.
            for line in self.psql("SELECT r.desk_id || ' ' || to_char(r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'HH24:MI:SS') "
                                  "|| ' ' || r.channel || ' ' || coalesce(h.details->'burst'->>'count', '-') || ' in 10 min, mean ' "
                                  "|| coalesce(h.details->'burst'->>'mean', '-') "
                                  "FROM held_ratings h JOIN responses r ON r.id = h.response_id "
                                  "WHERE h.response_id IN (%s) ORDER BY r.submitted_at" % ids).splitlines()[:40]:
                print("%-24s   desk %s" % ("", line))
        if share > 0.01:
            missed.append("honest ratings held")
        for f in sorted(set(self.failures))[:10]:
            print("unexpected answer:", f)
        if missed:
            print("targets missed:", ", ".join(missed))
            return 1
        print("every target met")
        return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--qr", required=True)
    p.add_argument("--system-token", required=True)
    p.add_argument("--database", required=True)
    sys.exit(Red(p.parse_args()).run())


if __name__ == "__main__":
    main()
