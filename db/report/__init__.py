"""What goes into the supervisor's report, decided without Qt."""
