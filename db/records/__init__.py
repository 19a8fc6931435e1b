"""Incidents as people work with them: recording, amending, reviewing, monitors, listing and counting."""
