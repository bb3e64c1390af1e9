"""Local test servers (ws, sse, h2) for users, demos and the test suite."""
