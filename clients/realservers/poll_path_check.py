#!/usr/bin/env python3
"""The indirect part of a blocking design's poll waits, judged on real servers.

Apache prefork waits in poll() on its one connection; since 7 Dec the paths
that wait starts (poll then read) give its indirect part (docs/methodology.md,
"Without a PMU: user time on one code path"). real_servers.sh's check holds
prefork - event CPU per request against S_prefork - S_event from the two
verdicts. This prints that check per run, as the verdicts came out and with
prefork's indirect part taken back out (its share and interval shifted by
indirect_cpu_seconds / cpu_seconds of the same report), and the totals of
both: in bound (|error| <= max(0.5 us, 25% of the measured difference)),
covered, median |error| and signed median error, in us per request.

  clients/realservers/poll_path_check.py OUT_DIR [OUT_DIR ...]

Each OUT_DIR is one real_servers.sh run (runs.csv, report-prefork-N.json).
"""
import csv
import json
import os
import statistics
import sys


def num(row, key):
    v = row.get(key)
    return float(v) if v not in ("", None) else None


def prefork_indirect_share(out, rep):
    """Prefork's indirect part as a share of its service CPU, and per block (us)."""
    with open(os.path.join(out, f"report-prefork-{rep}.json")) as f:
        target = json.load(f)["targets"][0]
    v = target["verdict"]
    ind = v.get("indirect_cpu_seconds") or 0.0
    blocks = v.get("blocked_io_calls") or 0
    return ind / target["cpu_seconds"], (ind / blocks * 1e6 if blocks else 0.0)


def judge(measured, predicted, lo, hi):
    err = predicted - measured
    return err, abs(err) <= max(0.5, 0.25 * abs(measured)), lo <= measured <= hi


def rows_of(out):
    with open(os.path.join(out, "runs.csv")) as f:
        runs = list(csv.DictReader(f))
    for rep in sorted({r["repeat"] for r in runs}, key=int):
        by = {r["design"]: r for r in runs if r["repeat"] == rep}
        if "prefork" not in by or "event" not in by:
            continue
        p, e = by["prefork"], by["event"]
        vals = [num(p, k) for k in ("cpu_us_per_request", "saving_share", "saving_lo", "saving_hi")] + \
               [num(e, k) for k in ("cpu_us_per_request", "saving_share", "saving_lo", "saving_hi")]
        if None in vals:
            continue
        cp, sp, lop, hip, ce, se, loe, hie = vals
        ind, per_block = prefork_indirect_share(out, rep)
        measured = cp - ce
        with_term = judge(measured, sp * cp - se * ce, lop * cp - hie * ce, hip * cp - loe * ce)
        sp0, lop0, hip0 = sp - ind, lop - ind, hip - ind
        without = judge(measured, sp0 * cp - se * ce, lop0 * cp - hie * ce, hip0 * cp - loe * ce)
        yield os.path.basename(os.path.normpath(out)), rep, measured, per_block, ind * cp, with_term, without


def totals(name, judged):
    errs = [j[0] for j in judged]
    return (f"{name}: in bound {sum(j[1] for j in judged)}/{len(judged)}, covered {sum(j[2] for j in judged)}/"
            f"{len(judged)}, median |error| {statistics.median(abs(e) for e in errs):.2f} us, "
            f"signed median {statistics.median(errs):+.2f} us")


def main(argv):
    if len(argv) < 2:
        print("usage: poll_path_check.py OUT_DIR [OUT_DIR ...]", file=sys.stderr)
        return 2
    rows = [r for out in argv[1:] for r in rows_of(out)]
    if not rows:
        print("poll_path_check: no repeat with both a prefork and an event row and their verdicts", file=sys.stderr)
        return 1
    print("run,repeat,measured_us,indirect_us_per_block,indirect_us_per_request,"
          "error_us,in_bound,covered,error_us_without,in_bound_without,covered_without")
    for run, rep, measured, per_block, per_req, w, wo in rows:
        print(f"{run},{rep},{measured:.2f},{per_block:.2f},{per_req:.2f},{w[0]:.2f},{int(w[1])},{int(w[2])},"
              f"{wo[0]:.2f},{int(wo[1])},{int(wo[2])}")
    print()
    print(totals("with prefork's indirect part", [r[5] for r in rows]))
    print(totals("without it", [r[6] for r in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
