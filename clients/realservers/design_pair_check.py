"""The check of Apache's two designs against each other, one owner for it:
real_servers.sh prints it, prefork_term_check.py judges a term of prefork's
verdict with it.

Both MPMs run the same request handling and differ in how a connection
waits, so each verdict's saving is what that design pays beyond one and the
same event-loop Apache: prefork - event, in us per request, is predicted as
S_prefork - S_event (S = saving share x the design's untraced CPU per
request), per repeat (the same rotation of the machine), with the interval
[lo_p - hi_e, hi_p - lo_e]. In bound: |error| <= max(0.5 us, 25% of the
measured difference), the bound designs_summary.py holds rows to.
"""

SHARES = ("saving_share", "saving_lo", "saving_hi")


def number(row, key):
    v = row.get(key)
    return float(v) if v not in ("", None) else None


def pairs(runs):
    """Per repeat with a complete prefork and event row (runs.csv's rows):
    (repeat, prefork CPU us, prefork (share, lo, hi), event CPU us, event (share, lo, hi))."""
    for rep in sorted({r["repeat"] for r in runs}, key=int):
        by = {r["design"]: r for r in runs if r["repeat"] == rep}
        if "prefork" not in by or "event" not in by:
            continue
        p, e = by["prefork"], by["event"]
        cp, ce = number(p, "cpu_us_per_request"), number(e, "cpu_us_per_request")
        sp, se = tuple(number(p, k) for k in SHARES), tuple(number(e, k) for k in SHARES)
        if cp is None or ce is None or None in sp or None in se:
            continue
        yield rep, cp, sp, ce, se


def check(cp, prefork, ce, event):
    """(measured, predicted, lo, hi, error, in bound, covered), in us per request."""
    (sp, lop, hip), (se, loe, hie) = prefork, event
    measured, predicted = cp - ce, sp * cp - se * ce
    lo, hi = lop * cp - hie * ce, hip * cp - loe * ce
    error = predicted - measured
    return measured, predicted, lo, hi, error, abs(error) <= max(0.5, 0.25 * abs(measured)), lo <= measured <= hi
