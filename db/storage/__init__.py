"""The data directory and its database: paths, connections, schema steps, the append-only versions and
the one module that writes the derived tables (projection, heads, rollups), backups and damage."""
