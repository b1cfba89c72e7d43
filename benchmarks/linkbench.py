"""Link-checking benchmark: govwatch and its peers on one generated government site.

    .venv/bin/python -m benchmarks.linkbench --pages 1000
    .venv/bin/python -m benchmarks.linkbench --pages 20000 --tools govwatch,linkinator --json

The site (benchmarks/linksite.py) has planted dead links of every kind, transient faults and
ground truth per URL; it is served on 127.0.0.1 from a separate process, restarted before each
tool so that every tool sees the same site (flaky endpoints fail once again). Each tool runs as
a whole process; for each: pages, links checked, wall and CPU seconds, pages/s, links/s, peak
RSS, precision and recall of its "broken" set against every persistently dead planted URL, and
how many transient endpoints it reported. For govwatch also: definite and suspected against
their ground truth, the source pages of each finding, and a second crawl of the unchanged site
(same database) with its time as a share of the first.

Peers (install with `make bench-peers`, i.e. benchmarks/setup_peers.sh): LinkChecker in
benchmarks/.peers/linkchecker, linkinator in benchmarks/.peers/node; the Scrapy CrawlSpider
baseline (benchmarks/crawlspider_baseline.py) runs in the project's venv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from benchmarks.linksite import DEFINITE, KINDS, SUSPECTED, TRANSIENT, SiteServer, canon, capacity
from benchmarks.measure import CrawlCost, run_measured

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = HERE / ".peers"
LINKCHECKER = PEERS / "linkchecker" / "bin" / "linkchecker"
LINKINATOR = PEERS / "node" / "node_modules" / ".bin" / "linkinator"
GOVWATCH = [sys.executable, "-m", "monitor"]
TOOLS = ("govwatch", "linkchecker", "linkinator", "crawlspider")
LINKCHECKER_THREADS = 10  # its default
LINKINATOR_CONCURRENCY = 100  # its default


@dataclass
class ToolRun:
    tool: str
    cost: CrawlCost
    pages: int
    links: int
    broken: set[str]  # canon() of every URL the tool reports broken
    extra: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, str] = field(default_factory=dict)  # canon(url) → what the tool said


# ------------------------------------------------------------------------- the tools


GOVWATCH_SETTINGS: list[str] = []  # --govwatch-set


def run_govwatch(server: SiteServer, work: Path, timeout: float) -> ToolRun:
    config = work / "govwatch.yaml"
    config.write_text(
        f"sites:\n  - {{id: bench, name: 基准站, home: '{server.home}', "
        f"max_pages: {len(server.site.page_urls) * 2 + 100}}}\n",
        encoding="utf-8",
    )
    db = work / "govwatch.db"
    for stale in (db, work / "govwatch.db-wal", work / "govwatch.db-shm"):
        stale.unlink(missing_ok=True)  # a kept directory's last run was of another site
    runs = []
    for attempt in (1, 2):
        server.restart()
        command = [sys.executable, "-m", "monitor", "crawl", "-c", str(config)]
        command += ["--db", f"sqlite:///{db}", "-s", f"DOWNLOAD_TIMEOUT={timeout:g}"]
        for setting in GOVWATCH_SETTINGS:
            command += ["-s", setting]
        with (work / f"govwatch-{attempt}.log").open("wb") as log:
            cost = run_measured(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        report = [*GOVWATCH, "findings", "-c", str(config), "--db", f"sqlite:///{db}"]
        findings = json.loads(
            subprocess.run(
                [*report, "--format", "json"],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
        )
        runs.append((cost, [f for f in findings if f["kind"] == "dead_link"]))
    with sqlite3.connect(db) as conn:
        pages, links = conn.execute("select pages, links from runs order by id limit 1").fetchone()
    (first, dead), (second, dead2) = runs
    definite = {canon(f["url"]) for f in dead if f["definite"]}
    suspected = {canon(f["url"]) for f in dead if not f["definite"]}
    truth = server.site.truth
    sources_wrong = []
    for finding in dead:
        planted = truth.get(canon(finding["url"]))
        if planted is None or planted.expected == TRANSIENT:
            continue
        reported = {canon(s) for s in finding["sources"]}
        expected = {canon(s) for s in planted.sources}
        if reported != expected:
            sources_wrong.append(
                {
                    "url": planted.url,
                    "missing": sorted(expected - reported),
                    "extra": sorted(reported - expected),
                }
            )
    extra = {
        "returncode": first.returncode,
        "definite": _score(definite, {k for k, p in truth.items() if p.expected == DEFINITE}),
        "suspected": _score(suspected, {k for k, p in truth.items() if p.expected == SUSPECTED}),
        "transient_reported_definite": len(definite & _transients(server)),
        "transient_reported_suspected": len(suspected & _transients(server)),
        "source_pages_mismatches": len(sources_wrong),
        "source_pages_mismatch_examples": sources_wrong[:5],
        "second_run": {
            "returncode": second.returncode,
            "wall_s": second.wall_s,
            "cpu_s": second.cpu_s,
            "peak_rss_mb": second.peak_rss_mb,
            "wall_ratio": round(second.wall_s / first.wall_s, 3) if first.wall_s else None,
            "cpu_ratio": round(second.cpu_s / first.cpu_s, 3) if first.cpu_s else None,
            "definite": _score(
                {canon(f["url"]) for f in dead2 if f["definite"]}, _confirmable(server)
            ),
            "transient_reported_definite": len(
                {canon(f["url"]) for f in dead2 if f["definite"]} & _transients(server)
            ),
        },
    }
    detail = {
        canon(f["url"]): ("definite" if f["definite"] else "suspected")
        + f" status={f['status']} error={f['error']}"
        for f in dead
    }
    # (misclassified() reads the first word; a URL without a finding was judged ok)
    return ToolRun("govwatch", first, pages, links, definite | suspected, extra, detail)


def run_linkchecker(server: SiteServer, work: Path, timeout: float) -> ToolRun:
    # LinkChecker drops root privileges to nobody: its files must be open to everyone.
    out = work / "linkchecker"
    out.mkdir(exist_ok=True)  # a kept directory, or an earlier round
    out.chmod(0o777)
    rc = out / "linkcheckerrc"
    rc.write_text(
        "[checking]\n"
        f"threads={LINKCHECKER_THREADS}\n"
        f"timeout={timeout:g}\n"
        "recursionlevel=-1\n"
        # Above 10/s the cap only lifts for hosts that send a `LinkChecker` header (ours do).
        "maxrequestspersecond=100000\n"
        "[filtering]\n"
        "checkextern=1\n"
        "[output]\n"
        "status=0\n",
        encoding="utf-8",
    )
    rc.chmod(0o644)
    result = out / "out.csv"
    server.restart()
    command = [str(LINKCHECKER), "-f", str(rc), "--check-extern", "--no-status", "-v"]
    command += ["-o", "none", "-F", f"csv/utf-8/{result}", server.home]
    env = dict(os.environ, HOME=str(out))
    with (work / "linkchecker.log").open("wb") as log:
        cost = run_measured(command, stdout=log, stderr=subprocess.STDOUT, cwd=out, env=env)
    links, broken, detail = set(), set(), {}
    with result.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter=";")
        for row in rows:
            # urlname is the link as written (url is where a redirect chain ended).
            base = row.get("base") or row.get("parentname") or ""
            key = canon(urljoin(base, row["urlname"]) if row.get("urlname") else row["url"])
            links.add(key)
            detail[key] = (row.get("result") or "")[:120]
            if row.get("valid") == "False":
                broken.add(key)
    pages = links & server.site.page_keys
    return ToolRun(
        "linkchecker",
        cost,
        len(pages),
        len(links),
        broken,
        {"returncode": cost.returncode, "threads": LINKCHECKER_THREADS},
        detail,
    )


def run_linkinator(server: SiteServer, work: Path, timeout: float) -> ToolRun:
    result = work / "linkinator.json"
    server.restart()
    command = [str(LINKINATOR), server.home, "--recurse", "--format", "json"]
    command += ["--timeout", str(int(timeout * 1000)), "--concurrency", str(LINKINATOR_CONCURRENCY)]
    # Two more tries on 5xx and network errors, like govwatch. Not --retry (Retry-After on 429):
    # linkinator 7.6 then retries a persistent 429 with Retry-After forever and never ends.
    command += ["--retry-errors", "--retry-errors-count", "2"]
    with result.open("wb") as out, (work / "linkinator.log").open("wb") as log:
        cost = run_measured(command, stdout=out, stderr=log, cwd=work)
    text = result.read_text(encoding="utf-8")
    data = json.loads(text[text.index("{") :]) if "{" in text else {"links": []}
    links, broken, detail = set(), set(), {}
    for link in data.get("links", []):
        key = canon(link["url"])
        links.add(key)
        failure = (link.get("failureDetails") or [""])[0]
        detail[key] = f"{link.get('state')} status={link.get('status')} {str(failure)[:100]}"
        if link.get("state") == "BROKEN":
            broken.add(key)
    pages = links & server.site.page_keys
    return ToolRun(
        "linkinator",
        cost,
        len(pages),
        len(links),
        broken,
        {"returncode": cost.returncode, "concurrency": LINKINATOR_CONCURRENCY},
        detail,
    )


def run_crawlspider(server: SiteServer, work: Path, timeout: float) -> ToolRun:
    result = work / "crawlspider.jsonl"
    server.restart()
    scrapy = Path(sys.executable).with_name("scrapy")
    command = [str(scrapy), "runspider", str(HERE / "crawlspider_baseline.py")]
    command += ["-a", f"start={server.home}", "-a", f"out={result}"]
    command += ["-s", f"DOWNLOAD_TIMEOUT={timeout:g}"]
    with (work / "crawlspider.log").open("wb") as log:
        cost = run_measured(command, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    pages, links, broken, detail = 0, set(), set(), {}
    with result.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            key = canon(record["url"])
            links.add(key)
            pages += bool(record["page"])
            status = record["status"]
            detail[key] = f"status={status} error={record['error']}"[:120]
            if record["error"] or (status is not None and status >= 400):
                broken.add(key)
    return ToolRun(
        "crawlspider", cost, pages, len(links), broken, {"returncode": cost.returncode}, detail
    )


RUNNERS = {
    "govwatch": run_govwatch,
    "linkchecker": run_linkchecker,
    "linkinator": run_linkinator,
    "crawlspider": run_crawlspider,
}


def missing_peer(tool: str) -> str | None:
    if tool == "linkchecker" and not LINKCHECKER.exists():
        return f"LinkChecker is not installed ({LINKCHECKER}): run `make bench-peers`"
    if tool == "linkinator" and not LINKINATOR.exists():
        return f"linkinator is not installed ({LINKINATOR}): run `make bench-peers`"
    return None


# ---------------------------------------------------------------------------- scoring


def _persistent(server: SiteServer) -> set[str]:
    return {k for k, p in server.site.truth.items() if p.expected != TRANSIENT}


# Planted kinds whose links the server does not let a checker see: suspected however long.
NEVER_CONFIRMED = frozenset({"blocked_429"})


def _confirmable(server: SiteServer) -> set[str]:
    """What a second crawl reports definite: every persistent fault but a server's refusal."""
    return {k for k in _persistent(server) if server.site.truth[k].kind not in NEVER_CONFIRMED}


def _transients(server: SiteServer) -> set[str]:
    return {k for k, p in server.site.truth.items() if p.expected == TRANSIENT}


def _score(reported: set[str], truth: set[str]) -> dict[str, Any]:
    hits = reported & truth
    return {
        "reported": len(reported),
        "truth": len(truth),
        "precision": round(len(hits) / len(reported), 4) if reported else 1.0,
        "recall": round(len(hits) / len(truth), 4) if truth else 1.0,
    }


def summarize(run: ToolRun, server: SiteServer) -> dict[str, Any]:
    truth = server.site.truth
    wall = run.cost.wall_s or 1e-9
    by_kind = Counter(truth[k].kind for k in run.broken if k in truth)
    not_planted = sorted(k for k in run.broken if k not in truth)
    missed = [
        f"{truth[k].kind} {truth[k].url} ({run.detail.get(k, 'not checked')})"
        for k in sorted(_persistent(server) - run.broken)
    ]
    return {
        "tool": run.tool,
        "pages": run.pages,
        "links": run.links,
        "wall_s": run.cost.wall_s,
        "cpu_s": run.cost.cpu_s,
        "pages_per_s": round(run.pages / wall, 1),
        "links_per_s": round(run.links / wall, 1),
        "peak_rss_mb": run.cost.peak_rss_mb,
        **{f"broken_{k}": v for k, v in _score(run.broken, _persistent(server)).items()},
        "transient_reported": len(run.broken & _transients(server)),
        "broken_by_kind": dict(by_kind),
        "false_positives": [
            {"url": k, "said": run.detail.get(k, "")}
            for k in not_planted + sorted(run.broken & _transients(server))
        ][:20],
        "missed": missed[:40],
        "missed_count": len(missed),
        **run.extra,
    }


def misclassified(run: ToolRun, server: SiteServer) -> list[dict[str, str]]:
    """Planted URLs govwatch judged otherwise than its own rules say it should."""
    wrong = []
    for key, planted in sorted(server.site.truth.items(), key=lambda kv: kv[1].kind):
        said = run.detail.get(key)
        verdict = said.split(" ", 1)[0] if said else "ok"
        expected = "ok" if planted.expected == TRANSIENT else planted.expected
        if verdict != expected:
            wrong.append(
                {
                    "kind": planted.kind,
                    "url": planted.url,
                    "expected": expected,
                    "said": said or "ok",
                }
            )
    return wrong


# ----------------------------------------------------------------------------- output


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time (the faster of the middle two), with every run's walls."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["rounds_wall_s"] = [r["wall_s"] for r in runs]
    if "second_run" in median:
        median["rounds_second_wall_s"] = [r["second_run"]["wall_s"] for r in runs]
    return median


def table(results: list[dict[str, Any]], server: SiteServer, timeout: float) -> str:
    head = (
        f"{'tool':<12}{'pages':>7}{'links':>8}{'wall s':>9}{'CPU s':>8}{'pages/s':>9}"
        f"{'links/s':>9}{'RSS MB':>8}{'prec':>7}{'recall':>7}{'transient':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r['tool']:<12}{r['pages']:>7}{r['links']:>8}{r['wall_s']:>9.1f}{r['cpu_s']:>8.1f}"
            f"{r['pages_per_s']:>9.1f}{r['links_per_s']:>9.1f}{r['peak_rss_mb']:>8.0f}"
            f"{r['broken_precision']:>7.3f}{r['broken_recall']:>7.3f}{r['transient_reported']:>10}"
        )
    for r in results:
        if len(r.get("rounds_wall_s", [])) > 1:
            walls = ", ".join(f"{w:.1f}" for w in r["rounds_wall_s"])
            line = f"{r['tool']}: wall s of each round {walls} (the median run above)"
            if "rounds_second_wall_s" in r:
                line += "; second crawl " + ", ".join(f"{w:.1f}" for w in r["rounds_second_wall_s"])
            lines.append(line)
    lines.append("")
    kinds = Counter(p.kind for p in server.site.truth.values())
    tools = [r["tool"] for r in results]
    lines.append(
        f"{'planted kind':<24}{'govwatch says':<14}{'n':>4}" + "".join(f"{t:>13}" for t in tools)
    )
    for kind, expected in KINDS.items():
        row = f"{kind:<24}{expected:<14}{kinds[kind]:>4}"
        row += "".join(f"{r['broken_by_kind'].get(kind, 0):>13}" for r in results)
        lines.append(row)
    lines.append("(counts: planted URLs of that kind the tool reported broken)")
    for r in results:
        if r["tool"] != "govwatch":
            continue
        d, s, second = r["definite"], r["suspected"], r["second_run"]
        lines.append("")
        lines.append(
            f"govwatch definite: precision {d['precision']:.3f} recall {d['recall']:.3f} "
            f"({d['reported']} reported, {d['truth']} planted); suspected: precision "
            f"{s['precision']:.3f} recall {s['recall']:.3f} ({s['reported']} / {s['truth']}); "
            f"transient reported definite {r['transient_reported_definite']}, suspected "
            f"{r['transient_reported_suspected']}"
        )
        lines.append(
            f"govwatch second crawl (unchanged site, same DB): wall {second['wall_s']} s, CPU "
            f"{second['cpu_s']} s, {second['wall_ratio']:.0%} of the first's wall time, "
            f"{second['cpu_ratio']:.0%} of its CPU; definite after 2 crawls: precision "
            f"{second['definite']['precision']:.3f} recall {second['definite']['recall']:.3f}, "
            f"transient definite {second['transient_reported_definite']}"
        )
        hanging = sum(1 for p in server.site.truth.values() if p.kind == "timeout")
        if hanging and r["wall_s"]:
            lines.append(
                f"  (its floor: the {hanging} planted hanging URLs are checked again, one "
                f"{timeout:g} s timeout at once, {timeout / r['wall_s']:.0%} of the first's "
                "wall time before start-up and anything else)"
            )
        lines.append(f"govwatch source-page mismatches: {r['source_pages_mismatches']}")
        for wrong in r.get("misclassified", []):
            lines.append(
                f"  misjudged {wrong['kind']}: {wrong['url']} expected {wrong['expected']}, said {wrong['said']}"
            )
    for r in results:
        for fp in r["false_positives"][:8]:
            lines.append(f"{r['tool']} false positive: {fp['url']} {fp['said']}")
        if r["missed_count"]:
            lines.append(f"{r['tool']} missed {r['missed_count']}:")
            lines += [f"  {m}" for m in r["missed"][:12]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=1000, help="pages of the site (1000–20000)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated, in order")
    parser.add_argument("--timeout", type=float, default=5.0, help="every tool's timeout, s")
    parser.add_argument("--seed", type=int, default=20260119)
    parser.add_argument("--json", action="store_true", help="print JSON (the table to stderr)")
    parser.add_argument("--keep", type=Path, help="keep the tools' outputs in this directory")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the tools this many times, in turn; each tool's median run is reported",
    )
    parser.add_argument(
        "--govwatch-set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for govwatch's crawls (e.g. AUTOTHROTTLE_ENABLED=False)",
    )
    args = parser.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in RUNNERS]
    if unknown:
        parser.error(f"unknown tools: {', '.join(unknown)} (known: {', '.join(TOOLS)})")
    say = (lambda text: print(text, file=sys.stderr)) if args.json else print
    # Planted endpoints that hang must outlast every tool's timeout (and its retries' timeouts).
    hang_s = args.timeout * 4 + 5
    GOVWATCH_SETTINGS.extend(args.govwatch_set)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, SiteServer(args.pages, hang_s, args.seed) as server:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        work.chmod(0o777)
        figures = server.site.figures()
        time.sleep(0.2)
        figures["server_capacity_rps"] = round(capacity(server))
        say(f"site: {json.dumps(figures, ensure_ascii=False)}")
        runs: dict[str, list[dict[str, Any]]] = {}
        for round_number in range(1, max(1, args.rounds) + 1):
            for tool in tools:
                reason = missing_peer(tool)
                if reason:
                    if round_number == 1:
                        say(f"skipping {tool}: {reason}")
                    continue
                say(f"running {tool} …" + (f" (round {round_number})" if args.rounds > 1 else ""))
                tool_dir = work / tool
                tool_dir.mkdir(exist_ok=True)
                tool_dir.chmod(0o777)
                run = RUNNERS[tool](server, tool_dir, args.timeout)
                summary = summarize(run, server)
                if tool == "govwatch":
                    summary["misclassified"] = misclassified(run, server)
                runs.setdefault(tool, []).append(summary)
                say(f"  {tool}: {summary['wall_s']} s wall, exit {summary.get('returncode')}")
        results = [median_run(runs[tool]) for tool in tools if tool in runs]
        say("")
        say(table(results, server, args.timeout))
    if args.json:
        print(
            json.dumps(
                {"site": figures, "timeout_s": args.timeout, "tools": results},
                ensure_ascii=False,
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
