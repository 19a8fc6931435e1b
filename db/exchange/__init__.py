"""The offline exchange between laptops: signed bundles, their checks, the import log, the mission."""
