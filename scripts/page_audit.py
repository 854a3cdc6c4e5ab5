"""Lighthouse on every page of every role: see scripts/page-audit, which starts the server.

Crawls as the Rust crawl does (tests/it/crawl.rs): links of the page's own origin, two pages of
each shape (numbers in the path and the query's values aside), no downloads, no sign-out, no
language switch. Each page is then scored by Lighthouse (mobile, its default) with the role's
session cookie. Standard library only, besides Lighthouse itself.
"""
import argparse
import csv
import http.cookiejar
import json
import re
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

SKIP_ENDS = (".csv", ".xlsx", ".png", ".svg", ".json", ".txt", ".ico", "/poster", "/letters.html")
SKIP_STARTS = ("/admin/lang/", "/admin/logout", "/api/", "/health")
TARGETS = {"performance": 0.95, "accessibility": 1.0, "best-practices": 1.0}


def shape(url):
    path, _, query = url.partition("?")
    path = "/".join("N" if s.isdigit() else s for s in path.split("/"))
    keys = sorted({kv.split("=", 1)[0] for kv in query.split("&") if kv})
    return path + "?" + "&".join(keys)


def skipped(url):
    path = url.split("?", 1)[0]
    return path.endswith(SKIP_ENDS) or path.startswith(SKIP_STARTS)


class Reader:
    """A browser-like client: cookies, no script; follows redirects."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path):
        with self.opener.open(self.base + path) as r:
            return r.read().decode("utf-8", "replace")

    def sign_in(self, user, password):
        page = self.get("/admin/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrf": csrf, "username": user, "password": password})
        self.opener.open(self.base + "/admin/login", form.encode()).read()

    def cookie(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def crawl(reader, start, cap):
    queue, seen, shapes, pages = list(start), set(start), {}, []
    while queue and len(pages) < cap:
        path = queue.pop(0)
        s = shape(path)
        if shapes.get(s, 0) >= 2:
            continue
        try:
            html = reader.get(path)
        except urllib.error.HTTPError as e:
            pages.append((path, f"HTTP {e.code}"))
            continue
        shapes[s] = shapes.get(s, 0) + 1
        pages.append((path, None))
        for href in re.findall(r'<a [^>]*href="([^"]+)"', html):
            if "download" in href:
                continue
            href = href.replace("&amp;", "&").replace("&#x2F;", "/")
            url = urllib.parse.urljoin(reader.base + path, href).split("#", 1)[0]
            if not url.startswith(reader.base):
                continue
            rel = url[len(reader.base):]
            if not skipped(rel) and rel not in seen:
                seen.add(rel)
                queue.append(rel)
    return pages


def lighthouse(binary, url, cookie):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        args = [binary, url, "--quiet", "--output=json", f"--output-path={out.name}",
                "--only-categories=performance,accessibility,best-practices",
                "--chrome-flags=--headless=new --no-sandbox"]
        if cookie:
            args.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        for attempt in range(2):
            run = subprocess.run(args, timeout=300, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            if run.returncode == 0:
                break
        else:
            raise RuntimeError(run.stderr.strip().splitlines()[-1] if run.stderr.strip()
                               else f"lighthouse exited {run.returncode}")
        report = json.load(open(out.name))
    scores = {k: report["categories"][k]["score"] for k in TARGETS}
    failing = [f"{a}" for k in TARGETS for ref in report["categories"][k]["auditRefs"]
               for a in [ref["id"]]
               if ref["weight"] > 0 and (report["audits"][a]["score"] or 1) < 1
               and k != "performance"]
    return scores, failing


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--qr", required=True)
    p.add_argument("--lighthouse", required=True)
    p.add_argument("--cap", type=int, default=60)
    a = p.parse_args()
    with open(a.qr, encoding="utf-8-sig") as f:
        desk = next(csv.DictReader(f))["url"].rsplit("/q/", 1)[1]
    roles = [("public", None, [f"/q/{desk}", "/public", "/phuong-phap"])]
    roles += [(r, f"audit.{r}", ["/admin/dashboard"]) for r in ("admin", "manager", "viewer")]
    rows, misses = [], []
    print(f"{'role':8} {'perf':>5} {'a11y':>5} {'bp':>5}  page")
    for role, user, start in roles:
        reader = Reader(a.base)
        if user:
            reader.sign_in(user, a.password)
        for path, error in crawl(reader, start, a.cap):
            if error:
                misses.append(f"{role} {path}: {error}")
                print(f"{role:8} {'—':>5} {'—':>5} {'—':>5}  {path}  {error}")
                continue
            try:
                scores, failing = lighthouse(a.lighthouse, a.base + path, reader.cookie())
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                misses.append(f"{role} {path}: Lighthouse failed: {e}")
                print(f"{role:8} {'—':>5} {'—':>5} {'—':>5}  {path}  Lighthouse failed: {e}")
                continue
            rows.append(scores)
            shown = [round(100 * scores[k]) for k in TARGETS]
            print(f"{role:8} {shown[0]:>5} {shown[1]:>5} {shown[2]:>5}  {path}"
                  + (f"  ({', '.join(failing)})" if failing else ""), flush=True)
            for k, target in TARGETS.items():
                if scores[k] < target:
                    misses.append(f"{role} {path}: {k} {round(100 * scores[k])}")
    print(f"\n{len(rows)} pages; medians: " + ", ".join(
        f"{k} {round(100 * statistics.median(r[k] for r in rows))}" for k in TARGETS))
    print(f"lowest: " + ", ".join(f"{k} {round(100 * min(r[k] for r in rows))}" for k in TARGETS))
    if misses:
        print("\nbelow target:\n" + "\n".join(misses))
        sys.exit(1)


if __name__ == "__main__":
    main()
