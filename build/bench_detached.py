"""The detached-call benchmarks in real, realtime Pd (see build/bench).

Writes each benchmark patch, runs Pd on it, and reads what [print] wrote:
  jitter    lateness of a vanilla [metro 1] while [pyrus] objects work
  roundtrip jobs per second through submit -> worker -> mailbox -> outlet
            (RUNS_EACH runs, the better one the figure)
  latency   microseconds from a worker finishing a job to the outlet firing,
            alone and beside a `detach 1` object kept busy with a chain of
            tiny jobs (ten in flight, each result sending the next)

Jitter and latency interleave idle and loaded runs (RUNS_EACH of each,
default 2: idle, loaded, idle, loaded...), print every run, and compare the
worse idle run with the better loaded one: a stall pyrus causes shows in
every loaded run, a noisy neighbour (these machines are shared) in one run.
"""

import os
import statistics
import subprocess
import sys
import tempfile

PACKAGE = os.environ["PYRUS_PD_PACKAGE"]


class Patch:
    def __init__(self):
        self.lines, self.n = [], 0

    def box(self, kind, text):
        self.lines.append(f"#X {kind} 10 {10 + 20 * self.n} {text};")
        self.n += 1
        return self.n - 1

    def obj(self, text):
        return self.box("obj", text)

    def msg(self, text):
        # In a .pd file a message box's separators are escaped.
        return self.box("msg", text.replace(";", "\\;").replace(",", "\\,"))

    def connect(self, a, o, b, i):
        self.lines.append(f"#X connect {a} {o} {b} {i};")

    def text(self):
        return "#N canvas 0 0 400 400 12;\n" + "\n".join(self.lines) + "\n"


def run_pd(patch, seconds_limit, flags=()):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.pd")
        with open(path, "w") as f:
            f.write(patch.text())
        cmd = ["pd", "-nogui", "-nosound", "-stderr", "-noprefs", "-sleepgrain", "0.2",
               "-path", PACKAGE, *flags, "-open", path]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds_limit)
        return out.stderr.splitlines()


def values(lines, label):
    prefix = label + ": "
    return [float(l[len(prefix):]) for l in lines if l.startswith(prefix)]


def metro_probe(p, seconds):
    """A vanilla [metro 1] whose lateness (real - logical ms) is printed each tick."""
    lb = p.obj("loadbang")
    t0 = p.obj("t b b b")
    metro = p.obj("metro 1")
    tick = p.obj("t b b")
    real = p.obj("realtime")
    logical = p.obj("timer")
    diff = p.obj("-")
    pr = p.obj("print lat")
    stop = p.obj(f"delay {seconds * 1000}")
    quit_ = p.msg("; pd quit")
    p.connect(lb, 0, t0, 0)
    p.connect(t0, 2, real, 0)
    p.connect(t0, 1, logical, 0)
    p.connect(t0, 0, metro, 0)
    p.connect(lb, 0, stop, 0)
    p.connect(stop, 0, quit_, 0)
    p.connect(metro, 0, tick, 0)
    p.connect(tick, 1, logical, 1)
    p.connect(tick, 0, real, 1)
    p.connect(logical, 0, diff, 1)
    p.connect(real, 0, diff, 0)
    p.connect(diff, 0, pr, 0)
    return lb


def detached_load(load):
    """Adds the [pyrus] objects of a jitter run's `load` to a patch (see `lateness`)."""

    def add(p, lb):
        if load == "detach 1":
            for _ in range(4):
                o = p.obj("pyrus -detach 1 bench.burn")
                # Each result asks for the next job: four workers busy all the time.
                p.connect(o, 0, o, 0)
                kick = p.msg("50")
                p.connect(lb, 0, kick, 0)
                p.connect(kick, 0, o, 0)
        elif load == "detach 0":
            for i in range(4):
                o = p.obj("pyrus bench.burn")
                m = p.obj("metro 250")
                off = p.obj(f"delay {i * 60}")
                arg = p.msg("50")
                p.connect(lb, 0, off, 0)
                p.connect(off, 0, m, 0)
                p.connect(m, 0, arg, 0)
                p.connect(arg, 0, o, 0)
        elif load == "chain":
            # Ten bench.inc jobs always in flight, each result sending the
            # next: deliveries through the mailbox all the time, Python held
            # a few microseconds a job.
            o = p.obj("pyrus -detach 1 bench.inc")
            p.connect(o, 0, o, 0)
            kick = p.msg(" , ".join(["0"] * 10))
            p.connect(lb, 0, kick, 0)
            p.connect(kick, 0, o, 0)

    return add


def lateness(seconds, add_load=None):
    """Lateness of a vanilla [metro 1] over `seconds` in realtime Pd, relative
    to the run's earliest tick (ms), while whatever `add_load(patch, loadbang)`
    adds to the patch runs; plus the run's Pd output."""
    p = Patch()
    lb = metro_probe(p, seconds)
    if add_load:
        add_load(p, lb)
    lines = run_pd(p, seconds + 30)
    lat = values(lines, "lat")
    if not lat:
        sys.exit("jitter: Pd printed no lateness:\n" + "\n".join(lines[-20:]))
    lat = lat[len(lat) // 20:]  # skip start-up (imports, first ticks)
    lat.sort()
    base = lat[0]
    rel = [x - base for x in lat]
    p999 = rel[min(len(rel) - 1, int(len(rel) * 0.999))]
    return {"ticks": len(rel), "p99": rel[int(len(rel) * 0.99)], "p99.9": p999, "max": rel[-1]}, lines


def interleave(kinds, runs, show):
    """Runs each of `kinds` (name -> a function returning one run's figures)
    in turn, `runs` rounds, printing each run with `show(figures)` as it
    ends; returns name -> the list of its runs' figures."""
    results = {name: [] for name in kinds}
    for i in range(runs):
        for name, run in kinds.items():
            r = run()
            results[name].append(r)
            print(f"  {name:10s} run {i + 1}: {show(r)}", flush=True)
    return results


def compare(results, loaded, metric, target, unit, fmt=".3f"):
    """One metric's verdict for `loaded` against "idle": the better loaded run
    minus the worse idle run, against `target`; a loaded run that alone
    exceeds it is named as the neighbour's."""
    worse_idle = max(r[metric] for r in results["idle"])
    loaded_runs = [r[metric] for r in results[loaded]]
    delta = min(loaded_runs) - worse_idle
    text = (f"{metric} {delta:+{fmt}} {unit} (better loaded run {min(loaded_runs):{fmt}} - worse idle run "
            f"{worse_idle:{fmt}}; target <= {target}: ")
    if delta > target:
        text += "NOT met, in every loaded run: a stall pyrus causes)"
    elif max(loaded_runs) - worse_idle > target:
        text += "met; one loaded run was worse, which did not repeat: noise)"
    else:
        text += "met)"
    return text


def show_jitter(r):
    return f"p99 {r['p99']:.3f}  p99.9 {r['p99.9']:.3f}  max {r['max']:.3f} ms  ({r['ticks']} ticks)"


def print_jitter(results, loaded):
    """The jitter verdict for `loaded` (a name in `results`) against idle."""
    print(f"  {loaded} vs idle: {compare(results, loaded, 'p99.9', 0.5, 'ms')}")
    print(f"  {' ' * len(loaded)}         {compare(results, loaded, 'max', 1, 'ms')}")


def jitter_runs(seconds, loads, runs):
    """Jitter runs idle and beside each of `loads` (name -> add_load), interleaved."""
    print(f"scheduler jitter, [metro 1] lateness over {seconds} s a run, realtime Pd -sleepgrain 0.2 "
          f"(ms above the run's earliest tick), runs interleaved:", flush=True)
    kinds = {"idle": lambda: lateness(seconds)[0]}
    for name, add in loads.items():
        kinds[name] = lambda add=add: lateness(seconds, add)[0]
    return interleave(kinds, runs, show_jitter)


def summary(xs):
    """Median, p99 and max of a sample."""
    xs = sorted(xs)
    return {"samples": len(xs), "median": statistics.median(xs), "p99": xs[int(len(xs) * 0.99)], "max": xs[-1]}


def roundtrip(jobs):
    p = Patch()
    lb = p.obj("loadbang")
    o = p.obj(f"pyrus -detach 1 -queue {jobs} bench.inc")
    # Keep the queue full: 1000 in flight, each result sends one more until
    # `jobs` have been sent; count results; time from first send to last result.
    real = p.obj("realtime")
    count = p.obj("f 0")
    plus = p.obj("+ 1")
    sel = p.obj(f"sel {jobs}")
    report = p.obj("print roundtrip_ms")
    quit_ = p.msg("; pd quit")
    sent = p.obj("f 0")
    splus = p.obj("+ 1")
    gate = p.obj(f"moses {jobs - 1000 + 1}")
    start = p.obj("t b b")
    burst = p.msg("1000")
    until = p.obj("until")
    one = p.msg("1")
    tb = p.obj("t b b")
    p.connect(lb, 0, start, 0)
    p.connect(start, 1, real, 0)
    p.connect(start, 0, burst, 0)
    p.connect(burst, 0, until, 0)
    p.connect(until, 0, one, 0)
    p.connect(one, 0, o, 0)
    # each result: count it; maybe send another
    p.connect(o, 0, tb, 0)
    p.connect(tb, 1, count, 0)
    p.connect(count, 0, plus, 0)
    p.connect(plus, 0, count, 1)
    p.connect(plus, 0, sel, 0)
    p.connect(sel, 0, real, 1)
    p.connect(real, 0, report, 0)
    p.connect(sel, 0, quit_, 0)
    p.connect(tb, 0, sent, 0)
    p.connect(sent, 0, splus, 0)
    p.connect(splus, 0, sent, 1)
    p.connect(splus, 0, gate, 0)
    p.connect(gate, 0, one, 0)
    lines = run_pd(p, 120)
    ms = values(lines, "roundtrip_ms")
    if not ms:
        sys.exit("roundtrip: no result:\n" + "\n".join(lines[-20:]))
    return {"jobs": jobs, "ms": ms[0], "per_second": jobs / ms[0] * 1000}


def latency(samples, add_load=None):
    """Worker done -> outlet over `samples` jobs, one every 5 ms, beside
    whatever `add_load(patch, loadbang)` adds."""
    p = Patch()
    lb = p.obj("loadbang")
    metro = p.obj("metro 5")
    job = p.obj("pyrus -detach 1 bench.stamp")
    measure = p.obj("pyrus bench.latency_us")
    pr = p.obj("print latency_us")
    stop = p.obj(f"delay {samples * 5 + 500}")
    quit_ = p.msg("; pd quit")
    warm = p.obj("delay 500")
    p.connect(lb, 0, warm, 0)
    p.connect(warm, 0, metro, 0)
    p.connect(metro, 0, job, 0)
    p.connect(job, 0, measure, 0)
    p.connect(measure, 0, pr, 0)
    p.connect(lb, 0, stop, 0)
    p.connect(stop, 0, quit_, 0)
    if add_load:
        add_load(p, lb)
    lines = run_pd(p, samples * 5 / 1000 + 60)
    us = values(lines, "latency_us")
    if not us:
        sys.exit("latency: no result:\n" + "\n".join(lines[-20:]))
    return summary(us)


def show_latency(r):
    return f"median {r['median']:.0f}  p99 {r['p99']:.0f}  max {r['max']:.0f} us  ({r['samples']} samples)"


def print_latency(results, loaded, tick_us):
    """The latency verdict: what `loaded` adds, and the target on each kind's better run."""
    # A load that delays delivery by a tick in every run is a stall.
    print(f"  {loaded} vs idle: {compare(results, loaded, 'p99', round(tick_us), 'us', '.0f')}")
    best = {name: min(r["p99"] for r in runs) for name, runs in results.items()}
    print("  target p99 < one tick = " f"{tick_us:.0f} us, on each kind's better run: "
          + ", ".join(f"{name} {p99:.0f} us {'met' if p99 < tick_us else 'NOT met'}" for name, p99 in best.items()))


def main():
    what = sys.argv[1:] or ["roundtrip", "latency", "jitter"]
    tick_ms = 64 / 44.1
    runs = int(os.environ.get("RUNS_EACH", "2"))
    if "roundtrip" in what:
        jobs = int(os.environ.get("JOBS", "200000"))
        print(f"round trip, detach 1, queue kept full, {jobs} jobs a run:", flush=True)
        rates = []
        for i in range(runs):
            r = roundtrip(jobs)
            rates.append(r["per_second"])
            print(f"  run {i + 1}: {r['ms']:.0f} ms = {r['per_second'] / 1000:.0f} k jobs/s", flush=True)
        # A neighbour only slows a run down: the better run is the figure.
        print(f"  better run {max(rates) / 1000:.0f} k jobs/s (target 500 k/s: "
              f"{'met' if max(rates) >= 500_000 else 'NOT met'})", flush=True)
    if "latency" in what:
        samples = int(os.environ.get("SAMPLES", "2000"))
        print(f"latency, worker done -> outlet, one job every 5 ms, {samples} a run, idle and beside a detach 1 "
              f"chain of bench.inc jobs (ten in flight), runs interleaved:", flush=True)
        results = interleave({"idle": lambda: latency(samples),
                              "chain": lambda: latency(samples, detached_load("chain"))}, runs, show_latency)
        print_latency(results, "chain", tick_ms * 1000)
    if "jitter" in what:
        seconds = int(os.environ.get("SECONDS_EACH", "20"))
        loads = {load: detached_load(load) for load in ("detach 1", "detach 0")}
        results = jitter_runs(seconds, loads, runs)
        print_jitter(results, "detach 1")
        # The contrast, no verdict: detach 0 runs its 50 ms on the scheduler thread, as documented.
        print("  detach 0 (four objects, each 50 ms of Python on Pd's thread every 250 ms) is the contrast: "
              "Pd waits for it by design")


if __name__ == "__main__":
    main()
