"""The Trends view: the timeline plot and the period summary."""
