"""``wiretool replay``: re-run a recorded session (ws, sse, h2) and, with ``--check``, compare the answers."""
