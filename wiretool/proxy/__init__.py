"""The proxy: relay and sniff two legs of one connection (reverse and forward mode)."""
