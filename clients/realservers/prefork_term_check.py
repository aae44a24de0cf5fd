#!/usr/bin/env python3
"""A term of prefork's verdict judged on real servers, with and without it.

real_servers.sh's check holds prefork - event CPU per request against
S_prefork - S_event from the two verdicts (S = saving share x the design's
untraced CPU per request). This prints that check per run, as the verdicts
came out and with one term of prefork's verdict taken back out, and the
totals of both: in bound (|error| <= max(0.5 us, 25% of the measured
difference)), covered, median |error| and signed median error, in us per
request. TERM is one of:

  indirect       the indirect part of its poll waits (since 7 Dec the paths a
                 blocking design's poll starts, poll then read, give it):
                 its share is indirect_cpu_seconds / cpu_seconds;
  poll-baseline  its poll waits that returned at once held to a sound
                 same-kind baseline (7 Dec): taken back out, the async design
                 pays their mean per replaced call whatever their number,
                 plus the idle share x (direct cost + refill), as before.

Out, the share moves S_prefork and its interval alike.

  clients/realservers/prefork_term_check.py TERM OUT_DIR [OUT_DIR ...]

Each OUT_DIR is one real_servers.sh run (runs.csv, report-prefork-N.json).
"""
import csv
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from design_pair_check import check, pairs  # noqa: E402


def prefork_report(out, rep):
    with open(os.path.join(out, f"report-prefork-{rep}.json")) as f:
        return json.load(f)["targets"][0]


def indirect_term(target):
    """The indirect part: its share of the service CPU, and us per block."""
    v = target["verdict"]
    ind = v.get("indirect_cpu_seconds") or 0.0
    blocks = v.get("blocked_io_calls") or 0
    return ind / target["cpu_seconds"], (ind / blocks * 1e6 if blocks else 0.0)


def poll_baseline_term(target):
    """What the rule took off the async cost, as a share, and in us per block."""
    v = target["verdict"]
    blocks = v.get("blocked_io_calls") or 0
    poll = next((c for c in target.get("syscalls", []) if c["class"] == "poll"), None)
    if not blocks or poll is None or poll["calls"] - poll["blocked_calls"] < 20:
        return 0.0, 0.0  # under kMinNonblockingCallsForFallback (async_cost.h): the old rule did not use them either
    old_per_op = (poll["mean_nonblocked_oncpu_seconds"] or 0.0) + (v.get("async_cost_idle_share") or 0.0) * (
        (v.get("direct_cost_per_blocked_call_seconds") or 0.0) + (v.get("async_cost_refill_seconds") or 0.0))
    taken = old_per_op * blocks - (v.get("async_cost_cpu_seconds") or 0.0)
    return taken / target["cpu_seconds"], taken / blocks * 1e6


TERMS = {"indirect": indirect_term, "poll-baseline": poll_baseline_term}


def rows_of(term, out):
    with open(os.path.join(out, "runs.csv")) as f:
        runs = list(csv.DictReader(f))
    for rep, cp, sp, ce, se in pairs(runs):
        share, per_block = TERMS[term](prefork_report(out, rep))
        with_term = check(cp, sp, ce, se)
        without = check(cp, tuple(x - share for x in sp), ce, se)
        # (error, in bound, covered) of each side
        yield (os.path.basename(os.path.normpath(out)), rep, with_term[0], per_block, share * cp, with_term[4:],
               without[4:])


def totals(name, judged):
    errs = [j[0] for j in judged]
    return (f"{name}: in bound {sum(j[1] for j in judged)}/{len(judged)}, covered {sum(j[2] for j in judged)}/"
            f"{len(judged)}, median |error| {statistics.median(abs(e) for e in errs):.2f} us, "
            f"signed median {statistics.median(errs):+.2f} us")


def main(argv):
    if len(argv) < 3 or argv[1] not in TERMS:
        print("usage: prefork_term_check.py TERM OUT_DIR [OUT_DIR ...]  (TERM: indirect or poll-baseline)",
              file=sys.stderr)
        return 2
    term = argv[1]
    rows = [r for out in argv[2:] for r in rows_of(term, out)]
    if not rows:
        print("prefork_term_check: no repeat with both a prefork and an event row and their verdicts", file=sys.stderr)
        return 1
    print("run,repeat,measured_us,term_us_per_block,term_us_per_request,"
          "error_us,in_bound,covered,error_us_without,in_bound_without,covered_without")
    for run, rep, measured, per_block, per_req, w, wo in rows:
        print(f"{run},{rep},{measured:.2f},{per_block:.2f},{per_req:.2f},{w[0]:.2f},{int(w[1])},{int(w[2])},"
              f"{wo[0]:.2f},{int(wo[1])},{int(wo[2])}")
    print()
    print(totals(f"with prefork's {term} term", [r[5] for r in rows]))
    print(totals("without it", [r[6] for r in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
