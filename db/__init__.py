"""Truceline storage and domain logic: schema, incidents and their versions, theatre, statistics.

This package never imports Qt, pyqtgraph or ``desktop``; an import-linter contract enforces it.
"""
