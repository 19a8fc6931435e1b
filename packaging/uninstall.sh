#!/usr/bin/env bash
# Remove Truceline as install.sh put it (run it from the installed folder, or pass --system / --root).
exec "$(dirname "$0")/install.sh" --uninstall "$@"
