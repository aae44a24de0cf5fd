"""A designs_check.sh run's rows, each with its report.

designs_check.sh writes the CSV and, beside it (the CSV's name without .csv
+ -reports.jsonl), one report per row carrying the row's key. The scripts
that judge a rule from the reports read both through rows_with_reports
(read_or_exit from a command line).
"""
import csv
import json
import sys

KEY = ("design", "load", "conns", "msg_size", "repeat", "work_us", "work_bytes")


def key_of(row):
    return tuple(str(row.get(k) or "0") for k in KEY)


def rows_with_reports(paths):
    """Every CSV's rows in order, each as (row, report); ValueError says which row or file does not match."""
    out = []
    for path in paths:
        reports = {}
        with open(path[: -len(".csv")] + "-reports.jsonl") as f:
            for line in f:
                r = json.loads(line)
                if "row" not in r:
                    raise ValueError(f"{path}'s reports have no row key (written before designs_check.sh recorded "
                                     "one): its rows cannot be matched to their reports")
                reports[key_of(r["row"])] = r
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                report = reports.get(key_of(row))
                if report is None:
                    raise ValueError(f"no report for row {key_of(row)} of {path}")
                out.append((row, report))
    return out


def read_or_exit(argv, doc, tool):
    """rows_with_reports of the CSVs in argv, or exits: 2 with doc's usage line when none is given, 1 with why
    when a row has no report or there are no rows."""
    if not argv:
        print(doc.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    try:
        pairs = rows_with_reports(argv)
    except ValueError as e:
        print(f"{tool}: {e}", file=sys.stderr)
        sys.exit(1)
    if not pairs:
        print(f"{tool}: no rows", file=sys.stderr)
        sys.exit(1)
    return pairs
