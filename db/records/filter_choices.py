"""What a person may choose to filter by, checked in one place for every command and view.

A zone or DMZ sector typed on the command line (``stats``, ``report``) must be one of the
theatre's; the error names the option and lists what is known, and nothing is read.
"""

from collections.abc import Sequence

from db.core.errors import FieldProblem, ValidationError
from db.model.theatre import Theatre
from db.records.queries import IncidentFilter


def area_filter(theatre: Theatre, zone_ids: Sequence[str], sector_ids: Sequence[str]) -> IncidentFilter:
    """A filter on these zones and sectors, refused (naming ``--zone`` or ``--sector``) if one is unknown."""
    for option, chosen, known in (("--zone", zone_ids, theatre.zone_ids), ("--sector", sector_ids, theatre.sector_ids)):
        unknown = [area for area in chosen if area not in known]
        if unknown:
            reason = f"{', '.join(unknown)} is not in this theatre (known: {', '.join(sorted(known))})"
            raise ValidationError([FieldProblem(option, reason)])
    return IncidentFilter(zone_ids=tuple(zone_ids), sector_ids=tuple(sector_ids))
