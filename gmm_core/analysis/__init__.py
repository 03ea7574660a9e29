"""The numbers each page shows, computed from the engine -- no plotly, no Streamlit.

* :mod:`~gmm_core.analysis.guarded` -- every app fit bounded in time,
  regularised when a component collapses, and said in words (:class:`FitNote`);
* :mod:`~gmm_core.analysis.compare` -- KMeans against the GMM (Compare page);
  :mod:`~gmm_core.analysis.identity` -- which segment is which across fits
  (a segment keeps its colour, marker and letter when the settings change);
* :mod:`~gmm_core.analysis.explain` -- a recorded EM run and the worked numbers
  of each step (EM step by step); :mod:`~gmm_core.analysis.em_canvas` -- that
  run projected once and drawn a step at a time; :mod:`~gmm_core.analysis.restarts`
  -- several starts grouped by the optimum they reach;
* :mod:`~gmm_core.analysis.choose_k` -- BIC/AIC curves and the recommendation
  (Choose k);
* :mod:`~gmm_core.analysis.segments` -- segment profiles and automatic names,
  :mod:`~gmm_core.analysis.unusual` -- the least likely rows (Segments);
* :mod:`~gmm_core.analysis.geometry` -- covariance ellipses.
"""
