"""Time helpers shared by the storage layer: UTC stamps and identifiers."""

from datetime import UTC, datetime

import uuid_utils


def utc_now_text() -> str:
    """The device clock as stored: UTC, seconds, ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    """A UUIDv7 string: created on the laptop, sortable by creation time, never reused."""
    return str(uuid_utils.uuid7())
