"""One place for the application's identity: name, id and version.

The window title, the command line's ``--version``, packaging metadata and the desktop file all
read these constants, so they can never disagree.
"""

APP_NAME = "Truceline"
APP_ID = "org.truceline.Truceline"
DIST_NAME = "truceline"
VERSION = "0.1.0"
# The day VERSION was released (AppStream metainfo lists it); change both together.
RELEASE_DATE = "2026-11-25"
ORGANISATION = "Truceline"
