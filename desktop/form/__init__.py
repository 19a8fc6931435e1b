"""The entry form: one incident, recorded or amended from the keyboard."""
