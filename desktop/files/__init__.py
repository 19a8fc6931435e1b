"""Files in and out: CSV export and import, the bundle exchange and its log."""
