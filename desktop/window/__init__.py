"""The application and its main window: start, lifecycle, change signal, settings, errors."""
