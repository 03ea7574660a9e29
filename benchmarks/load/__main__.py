"""``python -m benchmarks.load``: see :mod:`benchmarks.load`."""

import argparse
import json
import pathlib
import sys

from benchmarks.load import crowd, faults, soak


def _env(pairs):
    return dict(p.split("=", 1) for p in pairs)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load",
                                     description=__import__("benchmarks.load").load.__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("soak",
                       help="uploads across open tabs; server RSS curve, slope, after close")
    p.add_argument("--sessions", type=int, default=6)
    p.add_argument("--uploads", type=int, default=60)
    p.add_argument("--megabytes", type=float, default=5.0)
    p.add_argument("--linger", type=float, default=140.0,
                   help="seconds to wait after the tabs close (Streamlit keeps a closed tab's "
                        "session 120 s)")
    p.add_argument("--root", help="the app checkout to serve (default: this one)")
    f = sub.add_parser("faults", help="a tab closed during a fit; a server restart under a "
                                      "tab; a Dask worker killed during a CLI fit")
    f.add_argument("--megabytes", type=float, default=20.0, help="the long fit's table")
    f.add_argument("--only", action="append", choices=faults.FAULTS,
                   help="run only this fault (repeatable; default: all)")
    f.add_argument("--rows", type=int, default=2_000_000,
                   help="rows of the CLI fit a Dask worker is killed in (2 million: about 20 s)")
    f.add_argument("--root", help="the app checkout to serve (default: this one)")
    c = sub.add_parser("crowd", help="N users through upload, Compare, Choose k, Segments: "
                                     "alone, then all at once; a latency table")
    c.add_argument("--sessions", type=int, default=8)
    c.add_argument("--low", type=int, default=10_000, help="the smallest upload's rows")
    c.add_argument("--high", type=int, default=50_000, help="the largest upload's rows")
    c.add_argument("--no-alone", dest="alone", action="store_false",
                   help="skip the one-user runs (no table: only the own-data check)")
    c.add_argument("--limit", type=float, default=900.0, help="seconds a flow may take")
    c.add_argument("--nice", type=int, default=0,
                   help="the browser's priority (19: it runs on what the server leaves idle)")
    n = sub.add_parser("neighbour", help="one user's Compare, alone and beside another user's "
                                         "long Choose k")
    n.add_argument("--small", type=int, default=10_000, help="the Compare user's rows")
    n.add_argument("--large", type=int, default=200_000, help="the Choose k user's rows")
    n.add_argument("--repeats", type=int, default=5, help="Compare fits, alone and beside")
    for q in (c, n):
        q.add_argument("--root", help="the app checkout to serve (default: this one)")
        q.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                       help="an environment variable for the server (repeatable)")
    for q in (p, f, c, n):
        q.add_argument("--out", help="also write the figures to this JSON file")
        q.add_argument("--log", help="the server's log file")
    args = parser.parse_args(argv)
    if args.what == "soak":
        figures = soak.run(sessions=args.sessions, uploads=args.uploads,
                           megabytes=args.megabytes, linger=args.linger, root=args.root,
                           log=args.log)
    elif args.what == "faults":
        figures = faults.run(megabytes=args.megabytes, root=args.root, log=args.log,
                             only=args.only, rows=args.rows)
    elif args.what == "crowd":
        figures = crowd.run(sessions=args.sessions, low=args.low, high=args.high,
                            alone=args.alone, root=args.root, env=_env(args.env), log=args.log,
                            limit=args.limit, nice=args.nice)
    elif args.what == "neighbour":
        figures = crowd.neighbour(small_rows=args.small, large_rows=args.large,
                                  repeats=args.repeats, root=args.root, env=_env(args.env),
                                  log=args.log)
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
