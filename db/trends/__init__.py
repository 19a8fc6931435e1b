"""Counting over time: rollups, in-memory cubes, timelines, the period summary and stats."""
