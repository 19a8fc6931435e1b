"""``python -m desktop`` runs the same entry point as the ``truceline`` command."""

from desktop.cli.main import main

raise SystemExit(main())
