"""The incident table, its filter bar and the detail pane with each record's history."""
