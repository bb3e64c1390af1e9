"""I/O only: connect, TLS, tap bytes. Every byte read or written is also handed to a pure codec."""
