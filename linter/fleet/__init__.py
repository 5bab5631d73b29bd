"""Fleet scans: every repository of an organisation, scanned again and again, remembered.

``seawall fleet scan SOURCES`` scans each listed repository at a commit (a *unit*, see
``unit.py``) in local worker processes or on a Dask cluster (``engines.py``), and records
what it found in a database (``history.py``); ``seawall fleet report`` answers from that
database what is public now, since when, and what changed (``report.py``).

Only the standard library and click are imported at the top of these modules; the
database library and Dask are imported when a fleet command runs (``seawall[fleet]``).
"""
