"""The reliability suite: soak (memory), faults, crowd and noisy neighbour (page times under load).

    python -m benchmarks.load soak                       # 60 uploads of 5 MB across 6 tabs
    python -m benchmarks.load soak --uploads 12 --sessions 3 --megabytes 2 --linger 0
    python -m benchmarks.load faults                     # tab closed, restart, Dask worker killed
    python -m benchmarks.load faults --only dask_worker_killed --rows 400000
    python -m benchmarks.load crowd                      # 8 users alone, then all at once
    python -m benchmarks.load neighbour                  # Compare beside a long Choose k
    python -m benchmarks.load crowd --root /tmp/before   # the same, served from another checkout

Every figure is printed; ``--out FILE`` also writes them as JSON.  Traffic goes
only to ``127.0.0.1`` (a server or Dask cluster this suite starts), and every step has a
time bound.
"""
