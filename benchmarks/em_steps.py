"""How fast "EM step by step" redraws a step, measured server side with Streamlit's AppTest.

    python -m benchmarks.em_steps                  # the 1,000-row demo and 200,000 rows
    python -m benchmarks.em_steps --rows 50000     # another large size
    python -m benchmarks.em_steps --repeats 30

For each dataset -- the default customers demo (1,000 rows) and an upload of
the same customers export with ``--rows`` rows (CustomerID, text and numeric
columns, as a real file) -- one fresh app session opens the page (the run is
recorded and projected once: reported as "first open"), then times, one by
one, what a user does to move through it:

* **Forward** -- a click on Forward ▶ (also what one tick of Play does);
* **slider** -- a jump to a random step with the step slider;
* **explain a row** -- another row picked for the formulas (what a click on a
  point does: its callback sets the same widget).

Each figure is the wall time of ``AppTest.run()``: the *whole* page script,
from the widget event reaching the server to every element of the run being
built.  In the browser a step reruns only the step panel (an ``st.fragment``),
so this is an upper bound of the server's share; the browser's own drawing is
not included.  Targets (issue 17): median ≤ 0.3 s at 1,000 rows, ≤ 0.8 s at
200,000.
"""

import argparse
import pathlib
import random
import statistics
import sys
import time

from benchmarks.app import _app, _check

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGETS = {"demo": 0.3, "large": 0.8}


def _timed(action):
    start = time.perf_counter()
    at = action()
    return at, time.perf_counter() - start


def _upload(rows):
    """A fresh session with a ``rows``-row customers export uploaded and its two features chosen."""
    import gmm_core
    from ui import keys, session

    data = gmm_core.make_customers(rows, random_state=1).frame.to_csv(index=False).encode()
    at = _app()
    at.file_uploader(key=keys.W_UPLOAD).set_value(("customers.csv", data, "text/csv")).run()
    _check(at, "Data page")
    features_key = session.dataset_key(keys.W_FEATURES, at.session_state[keys.DATASET])
    at.multiselect(key=features_key).set_value(
        ["Annual income (k$)", "Spending score (1-100)"]).run()
    return at


def _step_slider(at):
    from ui import keys
    return next(s for s in at.slider if str(s.key).startswith(keys.W_EM_STEP + "_"))


def measure(at, repeats, seed=0):
    """Open the EM page in session ``at`` and time ``repeats`` of each step action."""
    from ui import keys

    rng = random.Random(seed)
    at, first = _timed(lambda: at.switch_page("pages/em_steps.py").run())
    _check(at, "EM page")
    ds = at.session_state[keys.DATASET]
    last = int(_step_slider(at).max)
    times = {"Forward": [], "slider": [], "explain a row": []}
    for _ in range(repeats):
        if int(_step_slider(at).value) >= last:
            _step_slider(at).set_value(0).run()
        at, t = _timed(lambda: at.button(key=keys.W_EM_FORWARD).click().run())  # noqa: B023
        times["Forward"].append(t)
        step = rng.randint(0, last)
        at, t = _timed(lambda: _step_slider(at).set_value(step).run())  # noqa: B023
        times["slider"].append(t)
        row = str(ds.row_keys[rng.randrange(ds.n_rows)])
        picker = (at.selectbox(key=keys.W_EM_ROW) if ds.n_rows <= 5000
                  else at.text_input(key=keys.W_EM_ROW))
        at, t = _timed(lambda: picker.set_value(row).run())  # noqa: B023 (called at once)
        times["explain a row"].append(t)
        _check(at, "EM page step")
    return dict(rows=ds.n_rows, steps=last + 1, first_open=first,
                median={k: statistics.median(v) for k, v in times.items()},
                worst={k: max(v) for k, v in times.items()}, repeats=repeats)


def _report(label, result, target):
    print(f"{label}: {result['rows']:,} rows, {result['steps']} steps; first open "
          f"{result['first_open']:.2f} s (fit + projection, once)")
    for action, med in result["median"].items():
        verdict = "ok" if med <= target else "OVER"
        print(f"  {action:<14} median {med:.3f} s  worst {result['worst'][action]:.3f} s  "
              f"(target <= {target} s: {verdict})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    demo = measure(_app(), args.repeats)
    _report("customers demo", demo, TARGETS["demo"])
    large = measure(_upload(args.rows), args.repeats)
    _report("customers upload", large, TARGETS["large"])
    over = [a for r, t in ((demo, TARGETS["demo"]), (large, TARGETS["large"]))
            for a, m in r["median"].items() if m > t]
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
