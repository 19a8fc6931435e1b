"""The entry form does not move under the monitor's fingers: hints and warnings appear in room kept for them."""

import test_incident_form as form_tests
from PySide6.QtCore import QPoint, QRect
from test_incident_form import fill_valid, type_into

from desktop.form.incident_form import IncidentForm

# The entry form's fixtures (tests/test_incident_form.py), used here too.
make_form = form_tests.make_form
settings = form_tests.settings


def geometry(form: IncidentForm) -> dict[str, QRect]:
    fields = form._fields
    return {
        name: QRect(fields.widget(name).mapTo(form, QPoint(0, 0)), fields.widget(name).size())
        for name in fields._widgets
    }


def test_typing_positions_overrides_and_mistakes_moves_no_field(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    before = geometry(form)
    fill_valid(qtbot, form)  # position hint, DMZ relation, zone and sector filled
    assert form._fields.hint("observer_position")
    type_into(qtbot, form, "event_position", "48.4012, 37.8521")
    type_into(qtbot, form, "zone_id", "west")  # an override: a warning beside the zone
    type_into(qtbot, form, "sector_id", "DMZ-05")
    assert "⚠ position: BEYOND" in form.placement_warning and "DMZ-04" in form.placement_warning
    type_into(qtbot, form, "bearing_deg", "ENE")
    type_into(qtbot, form, "civ_killed", "many")  # a problem listed at the bottom
    type_into(qtbot, form, "observer_position", "37.70, 48.40")  # swapped: far outside the theatre
    assert form.problems()
    moved = {name: (before[name], rect) for name, rect in geometry(form).items() if rect != before[name]}
    assert moved == {}
