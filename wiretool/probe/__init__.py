"""``wiretool probe``: server conformance cases, each played on its own connection and judged.

case.py (verdicts, results), runner.py (scheduling), report.py (JUnit, HTML), view.py (terminal and NDJSON),
and per protocol the cases as data (ws_cases.py, ws_utf8.py) and the player that runs one (ws_run.py).
"""
