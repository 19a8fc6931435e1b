"""First start: who uses this laptop, and what the laptop is called.

Every version records its author and device, so the app asks once, before anything can be
recorded. The same dialog edits the profile later (from Settings).
"""

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from db.core.errors import ValidationError
from db.model import enums
from db.records.monitors import Monitor, add_monitor, set_local_profile, update_monitor
from db.storage.device import device_label, set_device_label
from db.storage.store import Store


class ProfileDialog(QDialog):
    """Name, callsign and role of the monitor, and a label for this laptop."""

    def __init__(self, store: Store, parent: QWidget | None = None, *, current: Monitor | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._current = current
        self.monitor: Monitor | None = None
        self.setWindowTitle("Your profile" if current else "Welcome to Truceline")
        intro = QLabel(
            "Every record you make carries your name and this laptop's label, so that a supervisor "
            "can tell who recorded what, and where."
            if current is None
            else "Changes apply to records you make from now on."
        )
        intro.setWordWrap(True)
        self.name = QLineEdit(current.name if current else "")
        self.name.setPlaceholderText("e.g. Amelia Hart")
        self.name.setToolTip("Your full name, as it should appear in reports and histories.")
        self.callsign = QLineEdit(current.callsign if current else "")
        self.callsign.setPlaceholderText("e.g. HART")
        self.callsign.setToolTip("Your radio callsign or short name (up to 30 characters).")
        self.role = QComboBox()
        for value, label in enums.ROLE.items():
            self.role.addItem(label, value)
        self.role.setToolTip("Supervisors can review and verify incidents; monitors record them.")
        if current:
            self.role.setCurrentIndex(self.role.findData(current.role))
        self.laptop = QLineEdit(device_label(store.conn, store.device.device_id))
        self.laptop.setToolTip("A name for this laptop, e.g. its asset tag or team (shown in histories).")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        self.error.hide()

        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&Callsign:", self.callsign)
        form.addRow("&Role:", self.role)
        form.addRow("&Laptop label:", self.laptop)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self.name.setFocus()
        # Callsigns are written in capitals (HART), so they are typed in capitals whatever the keyboard.
        self.callsign.textEdited.connect(self._capitals)
        for edit in (self.name, self.callsign):
            # A complaint about a field goes as soon as the field is being corrected.
            edit.textEdited.connect(lambda _text: self.error.hide())

    def _capitals(self, text: str) -> None:
        if text != text.upper():
            position = self.callsign.cursorPosition()
            self.callsign.setText(text.upper())
            self.callsign.setCursorPosition(position)

    def accept(self) -> None:
        name, callsign, role = self.name.text(), self.callsign.text(), str(self.role.currentData())
        try:
            if self._current is None:
                self.monitor = add_monitor(self._store.conn, name, callsign, role)
            else:
                self.monitor = update_monitor(self._store.conn, self._current.monitor_id, name, callsign, role)
            set_local_profile(self._store.conn, self.monitor)
            if self.laptop.text().strip():
                set_device_label(self._store.conn, self._store.device.device_id, self.laptop.text().strip())
        except ValidationError as error:
            self.error.setText("\n".join(f"{p.field.capitalize()} {p.reason}." for p in error.problems))
            self.error.show()
            field = {"name": self.name, "callsign": self.callsign}.get(error.problems[0].field)
            if field is not None:
                field.setFocus()
            return
        super().accept()
