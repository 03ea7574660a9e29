"""What users take away: the model file, the CSV of rows with segments, PNG charts, the HTML report.

* :mod:`~gmm_core.outputs.model_file` -- :class:`SegmentModel` saved as JSON and
  loaded back with every key, type and shape checked;
* :mod:`~gmm_core.outputs.export` -- the rows with their segments as CSV
  (spreadsheet formulas neutralised) and charts as PNG;
* :mod:`~gmm_core.outputs.report` -- a standalone HTML report that opens offline;
* :mod:`~gmm_core.outputs.slides` -- the segmentation as a deck for a meeting, as data;
* :mod:`~gmm_core.outputs.project` -- the whole piece of work as one JSON file, validated.
"""
