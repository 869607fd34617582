"""The district report (docs/report.md): the seed report's statistics and its "problems found"
for a period, computed from the recorded history of every service.

``facts`` (the events as the report reads them), ``figures`` and ``problems`` (pure functions
over those events), ``wording`` (the seed's sentences, in Chinese and English), ``render`` and
``html`` (text, Markdown, HTML with charts), ``loader`` (every service's store, read directly)
and ``cli`` (``dutytrail report``). This package imports nothing heavy at import time: the
command line loads it before ``dutytrail run`` monkey-patches for eventlet.
"""
