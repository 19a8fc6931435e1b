"""Helpers with no knowledge of incidents: files written whole, clocks, hashes, the log."""
