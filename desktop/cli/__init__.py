"""The ``truceline`` command and its subcommands."""
