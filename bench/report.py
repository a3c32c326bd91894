#!/usr/bin/env python3
"""Turns one bench run's raw wrk outputs and collected facts into a Markdown report (stdout).

Inputs (written by bench/run into its work dir):
  results/<phase>__<target>__<round>.wrk   raw `wrk --latency` output
  facts.txt                                key=value lines (settings, memory, status)
  metrics.txt, sim-stats.json              token-path figures (optional)
"""

import json
import re
import statistics
import sys
from pathlib import Path

TARGETS = [("direct", "(a) direct to TLS upstream"), ("nginx", "(b) nginx proxy"), ("aic", "(c) aic-proxy")]
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def parse_wrk(text):
    r = {"rps": None, "p50": None, "p99": None, "bytes_s": None, "requests": 0, "non2xx": 0, "sockerr": 0, "upconns": None,
         "cpu_ms": None, "user_ms": None, "sys_ms": None, "client_ms": None, "upstream_ms": None}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        r["rps"] = float(m.group(1))
    if m := re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", text):
        r["bytes_s"] = float(m.group(1)) * SIZES[m.group(2)]
    if m := re.search(r"^\s*50%\s+(\S+)", text, re.M):
        r["p50"] = to_ms(m.group(1))
    if m := re.search(r"^\s*99%\s+(\S+)", text, re.M):
        r["p99"] = to_ms(m.group(1))
    if m := re.search(r"(\d+) requests in", text):
        r["requests"] = int(m.group(1))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        r["non2xx"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        r["sockerr"] = sum(int(g) for g in m.groups())
    if m := re.search(r"upstream connections opened: (-?\d+)", text):
        r["upconns"] = int(m.group(1))
    if m := re.search(r"proxy cpu ms: (\d+)", text):
        r["cpu_ms"] = int(m.group(1))
    if m := re.search(r"proxy cpu ms: \d+ \(user (-?\d+), system (-?\d+)\)", text):
        r["user_ms"], r["sys_ms"] = int(m.group(1)), int(m.group(2))
    if m := re.search(r"client cpu ms: (-?\d+)", text):
        r["client_ms"] = int(m.group(1))
    if m := re.search(r"upstream cpu ms: (-?\d+)", text):
        r["upstream_ms"] = int(m.group(1))
    return r


def cpu_us_per_request(rs, key="cpu_ms"):
    """CPU time (of the proxy, or of what `key` names) per answered request, summed over the runs."""
    runs = [r for r in rs if r[key] is not None and r["requests"]]
    if not runs:
        return None
    return 1000.0 * sum(r[key] for r in runs) / sum(r["requests"] for r in runs)


def cpu_split(rs):
    """µs per request of wrk, the upstream, and the proxy (user, system), summed over the runs."""
    return {k: cpu_us_per_request(rs, k) for k in ("client_ms", "upstream_ms", "user_ms", "sys_ms")}


def clean(by_target):
    """'yes' when no run of the phase saw a non-2xx answer or a socket error (else ratios mislead)."""
    bad = [key for key, rs in by_target.items() for _, r in rs if r["non2xx"] or r["sockerr"] or r["rps"] is None]
    return "yes" if not bad else "NO: errors from " + ", ".join(sorted(set(bad)))


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, spec="{:.0f}", none="n/a"):
    return none if v is None else spec.format(v)


def fmt_ms(v):
    if v is None:
        return "n/a"
    return f"{v * 1000:.0f} µs" if v < 1 else f"{v:.2f} ms"


def fmt_kib(v):
    return "n/a" if v is None else f"{v / 1024:.1f} MiB"


def ratio(a, b, spec="{:.2f}×"):
    return "n/a" if a is None or not b else spec.format(a / b)


def load_facts(work):
    facts = {}
    path = work / "facts.txt"
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                facts[key.strip()] = value.strip()
    return facts


def kib(facts, key):
    v = facts.get(key)
    return int(v) if v and v.isdigit() else None


def write_cpu_split(w, runs, phases, summary, cores):
    """Where each request's CPU goes, and what a req/s goal would need of the proxy.

    wrk, the upstream and the proxy share the machine's cores. When together they keep every core
    busy, req/s is about cores / (the sum of their CPU per request), so a proxy's req/s lead over
    another is bounded by how much smaller its share makes that sum."""
    w("## Where a request's CPU goes (µs per request, all rounds)\n")
    w("| phase | target | wrk | upstream | proxy user | proxy system | sum | cores busy |")
    w("|---|---|---:|---:|---:|---:|---:|---:|")
    sums = {}
    for phase, title in phases:
        for key, name in TARGETS:
            rs = [r for _, r in runs[phase].get(key, [])]
            if not rs:
                continue
            c = cpu_split(rs)
            parts = [c["client_ms"], c["upstream_ms"]] + ([c["user_ms"], c["sys_ms"]] if key != "direct" else [])
            total = sum(parts) if all(v is not None for v in parts) else None
            sums[(phase, key)] = (total, c)
            rps = summary.get((phase, key), {}).get("rps")
            busy = total * rps / 1e6 if total is not None and rps else None
            w(f"| {title} | {name} | {fmt(c['client_ms'], '{:.1f}')} | {fmt(c['upstream_ms'], '{:.1f}')} | "
              f"{fmt(c['user_ms'], '{:.1f}') if key != 'direct' else '–'} | {fmt(c['sys_ms'], '{:.1f}') if key != 'direct' else '–'} | "
              f"{fmt(total, '{:.1f}')} | {fmt(busy, '{:.2f}')} of {cores or '?'} |")
    w("")
    lines = []
    for phase, title in phases:
        if phase == "big":
            continue  # streaming: bounded by copies, not by per-request work
        a, n = sums.get((phase, "aic")), sums.get((phase, "nginx"))
        if not a or not n or a[0] is None or n[0] is None:
            continue
        others = a[1]["client_ms"] + a[1]["upstream_ms"]
        budget = n[0] / 1.2 - others
        lines.append(f"- {title}: with the cores saturated, 1.20× nginx's req/s needs the sum ≤ {n[0]:.1f} / 1.2 = "
                     f"{n[0] / 1.2:.1f} µs, so aic-proxy ≤ {budget:.1f} µs per request beside wrk and the upstream's "
                     f"{others:.1f}; it spent {a[1]['user_ms'] + a[1]['sys_ms']:.1f} ({a[1]['sys_ms']:.1f} of it in the "
                     f"kernel, nginx {n[1]['sys_ms']:.1f}). The ratio these sums predict: {n[0] / a[0]:.2f}×.")
    if lines:
        w("What a 1.20× req/s lead would take on this machine (valid when 'cores busy' is near all cores):\n")
        for line in lines:
            w(line)
        w("")


def write_round_ratios(w, runs, phases):
    """The ratios round by round. Each round ran nginx and aic-proxy back to back, so a round's ratio
    compares the two under nearly the same load on the host; the medians of the whole run (above)
    can pair one proxy's good rounds with the other's bad ones. How many rounds meet each goal says
    how much one run's verdict can be trusted on a noisy host."""
    w("## aic-proxy / nginx round by round\n")
    w("| phase | req/s ratio per round | median | lowest – highest | rounds ≥ 1.20× | p99 ratio per round | rounds with p99 ≤ 1.00× |")
    w("|---|---|---:|---:|---:|---|---:|")
    for phase, title in phases:
        aic = dict(runs[phase].get("aic", []))
        nginx = dict(runs[phase].get("nginx", []))
        paired = [(aic[n], nginx[n]) for n in sorted(aic.keys() & nginx.keys())
                  if aic[n]["rps"] and nginx[n]["rps"] and aic[n]["p99"] and nginx[n]["p99"]]
        if not paired:
            continue
        rps = [a["rps"] / n["rps"] for a, n in paired]
        p99 = [a["p99"] / n["p99"] for a, n in paired]
        w(f"| {title} | {', '.join(f'{r:.2f}' for r in rps)} | {statistics.median(rps):.2f}× | "
          f"{min(rps):.2f} – {max(rps):.2f} | {sum(r >= 1.2 for r in rps)} of {len(rps)} | "
          f"{', '.join(f'{r:.2f}' for r in p99)} | {sum(r <= 1.0 for r in p99)} of {len(p99)} |")
    w("")


def main():
    work = Path(sys.argv[1])
    facts = load_facts(work)
    runs = {}  # phase -> target -> [parsed]
    for f in sorted((work / "results").glob("*.wrk")):
        phase, target, rnd = f.stem.split("__")
        runs.setdefault(phase, {}).setdefault(target, []).append((int(rnd), parse_wrk(f.read_text())))
    phases = [(p, facts.get(f"phase.{p}", p)) for p in ("small", "c256", "big") if p in runs]

    out = []
    w = out.append
    w("# aic-proxy bench: last run\n")
    w(f"- date: {facts.get('date', '?')}; git: {facts.get('git', '?')}")
    w(f"- machine: {facts.get('machine', '?')}")
    w(f"- tools: {facts.get('tools', '?')}")
    w(f"- command: `{facts.get('command', '?')}`")
    w(f"- settings: {facts.get('settings', '?')}")
    w(f"- aic-proxy: {facts.get('aic.status', 'n/a')}")
    w("- client, proxies and upstream share the same cores: compare targets with each other, not with other machines.\n")

    w("## Throughput and latency (median over rounds)\n")
    w("| phase | target | req/s | p50 | p99 | transfer/s | requests | non-2xx | socket errors | upstream conns opened | proxy CPU µs/request |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for phase, title in phases:
        for key, name in TARGETS:
            rs = [r for _, r in runs[phase].get(key, [])]
            if not rs:
                w(f"| {title} | {name} | n/a | n/a | n/a | n/a | | | | | |")
                continue
            s = {k: med([r[k] for r in rs]) for k in ("rps", "p50", "p99", "bytes_s")}
            s["cpu"] = cpu_us_per_request(rs)
            summary[(phase, key)] = s
            w(f"| {title} | {name} | {fmt(s['rps'])} | {fmt_ms(s['p50'])} | {fmt_ms(s['p99'])} | "
              f"{fmt(s['bytes_s'] and s['bytes_s'] / 1024**2, '{:.1f} MiB/s')} | "
              f"{sum(r['requests'] for r in rs)} | {sum(r['non2xx'] for r in rs)} | {sum(r['sockerr'] for r in rs)} | "
              f"{fmt(sum(r['upconns'] for r in rs) if all(r['upconns'] is not None for r in rs) else None)} | "
              f"{fmt(s['cpu'], '{:.1f}')} |")
    w("")

    w("## aic-proxy / nginx (goals: req/s ≥ 1.20×, p99 ≤ 1.00×)\n")
    w("| phase | req/s ratio | p99 ratio | p50 ratio | CPU per request ratio | aic-proxy req/s as % of direct | nginx req/s as % of direct | clean |")
    w("|---|---:|---:|---:|---:|---:|---:|---|")
    for phase, title in phases:
        a, n, d = summary.get((phase, "aic")), summary.get((phase, "nginx")), summary.get((phase, "direct"))
        g = lambda s, k: s[k] if s else None  # noqa: E731
        w(f"| {title} | {ratio(g(a, 'rps'), g(n, 'rps'))} | {ratio(g(a, 'p99'), g(n, 'p99'))} | "
          f"{ratio(g(a, 'p50'), g(n, 'p50'))} | {ratio(g(a, 'cpu'), g(n, 'cpu'))} | {ratio(g(a, 'rps'), g(d, 'rps'), '{:.0%}')} | "
          f"{ratio(g(n, 'rps'), g(d, 'rps'), '{:.0%}')} | {clean(runs[phase])} |")
    w("")

    write_round_ratios(w, runs, phases)
    write_cpu_split(w, runs, phases, summary, int(facts.get("cores", "0") or 0))

    w("## Per round\n")
    w("| phase | round | target | req/s | p50 | p99 |")
    w("|---|---:|---|---:|---:|---:|")
    for phase, title in phases:
        order = {key: i for i, (key, _) in enumerate(TARGETS)}
        rows = sorted(((rnd, key, r) for key in runs[phase] for rnd, r in runs[phase][key]),
                      key=lambda row: (row[0], order[row[1]]))
        for rnd, key, r in rows:
            w(f"| {title} | {rnd} | {dict(TARGETS)[key]} | {fmt(r['rps'])} | {fmt_ms(r['p50'])} | {fmt_ms(r['p99'])} |")
    w("")

    w("## Memory (nginx = master + worker)\n")
    w("| figure | nginx proxy | aic-proxy |")
    w("|---|---:|---:|")
    for label, key in (("RSS after start, idle (VmRSS)", "idle"),
                       ("PSS after start (shared library pages divided among their users)", "idle_pss"),
                       ("private anonymous memory after start (heap, stacks)", "idle_anon"),
                       ("resident code of the proxy's own executable after start", "idle_text"),
                       ("peak RSS over the load phases (VmHWM)", "peak")):
        w(f"| {label} | {fmt_kib(kib(facts, f'mem.nginx.{key}'))} | {fmt_kib(kib(facts, f'mem.aic.{key}'))} |")
    for who in ("nginx", "aic"):
        b, a = kib(facts, f"idle256.{who}.before"), kib(facts, f"idle256.{who}.after")
        facts[f"idle256.{who}.growth"] = str(a - b) if a is not None and b is not None else ""
    w(f"| RSS before 256 idle keep-alive clients | {fmt_kib(kib(facts, 'idle256.nginx.before'))} | "
      f"{fmt_kib(kib(facts, 'idle256.aic.before'))} |")
    w(f"| RSS holding 256 idle keep-alive clients ({facts.get('idle256.nginx.ok', '?')} / "
      f"{facts.get('idle256.aic.ok', '?')} answered 200) | {fmt_kib(kib(facts, 'idle256.nginx.after'))} | "
      f"{fmt_kib(kib(facts, 'idle256.aic.after'))} |")
    w(f"| growth for 256 idle clients | {fmt_kib(kib(facts, 'idle256.nginx.growth'))} | "
      f"{fmt_kib(kib(facts, 'idle256.aic.growth'))} |")
    for kind, label in (("down", "1 GiB download"), ("up", "1 GiB upload")):
        cells = []
        for who in ("nginx", "aic"):
            status = facts.get(f"stream.{kind}.{who}.status")
            if not status:
                cells.append(facts.get(f"stream.{kind}.{who}.note", "n/a"))
                continue
            base, peak = kib(facts, f"stream.{kind}.{who}.base"), kib(facts, f"stream.{kind}.{who}.peak")
            growth = peak - base if base is not None and peak is not None else None
            speed = facts.get(f"stream.{kind}.{who}.speed")
            mibs = f"{float(speed) / 1024**2:.0f} MiB/s" if speed else "?"
            cells.append(f"HTTP {status}, {fmt_kib(base)} → peak {fmt_kib(peak)} (+{fmt_kib(growth)}), {mibs}")
        w(f"| {label}: RSS before → sampled peak, rate | {cells[0]} | {cells[1]} |")
    w("")

    w("## Token path\n")
    metrics = work / "metrics.txt"
    stats = work / "sim-stats.json"
    if metrics.exists():
        lines = [ln for ln in metrics.read_text().splitlines()
                 if "token" in ln and not ln.startswith("#")]
        w("aic-proxy `/_proxy/metrics` (token lines):\n")
        w("```")
        out.extend(lines or ["(no token metrics found)"])
        w("```")
    else:
        w("aic-proxy `/_proxy/metrics`: n/a")
    if metrics.exists():
        # Over the whole run: how often a pool miss paid a full handshake (--keepalive 0: every
        # request is a miss, so nearly all of them should have resumed a TLS session).
        conns = [ln for ln in metrics.read_text().splitlines()
                 if ln.startswith("aic_proxy_upstream_connections_")]
        if conns:
            w("\naic-proxy upstream connections over the run:\n")
            w("```")
            out.extend(conns)
            w("```")
    if stats.exists():
        try:
            s = json.loads(stats.read_text())
            w(f"\nsimulator `/_sim/stats`: token_requests = {json.dumps(s.get('token_requests'))}, "
              f"tokens_issued = {json.dumps(s.get('tokens_issued'))}, resource_requests = {s.get('resource_requests')}, "
              f"tls_connections = {s.get('tls_connections')}")
        except ValueError:
            w("\nsimulator `/_sim/stats`: unreadable")
    else:
        w("\nsimulator `/_sim/stats`: n/a")
    if metrics.exists():
        w(f"\nExpected: at most one fetch per cache entry ({facts.get('aic.routes', '?')}) per refresh period "
          f"(about 674 s for an 899 s token; the load phases took {facts.get('run_seconds', '?')} s) and zero waits.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
