"""A contact's calendar as a client keeps it: the iMIP messages they received, applied in order.

RFC 5546 as Outlook, Google and Apple apply it to a recurring event: a REQUEST for the UID (its
master) replaces what the calendar holds for it; a CANCEL with a RECURRENCE-ID removes that one
occurrence (an EXDATE on the master, its override dropped); a CANCEL without one removes the
UID. A message whose SEQUENCE is not above the last one applied for its UID would be ignored by
clients, so it fails here. The stored calendars are then expanded by the independent readers
(``Oracles.expand``), never by the app's code.
"""

from __future__ import annotations

import icalendar


class CalendarClient:
    def __init__(self) -> None:
        self.entries: dict[str, icalendar.Calendar] = {}
        self.sequences: dict[str, int] = {}
        self.methods: list[str] = []

    def receive(self, ics: bytes) -> None:
        calendar = icalendar.Calendar.from_ical(ics)
        method = str(calendar["METHOD"])
        events = calendar.walk("VEVENT")
        uids = {str(e["UID"]) for e in events}
        assert len(uids) == 1, f"one UID per iMIP message, not {uids}"
        uid = uids.pop()
        sequence = max(int(e.get("SEQUENCE", 0)) for e in events)
        assert {int(e.get("SEQUENCE", 0)) for e in events} == {sequence}, "one SEQUENCE per message"
        assert sequence > self.sequences.get(uid, -1), f"SEQUENCE {sequence} does not rise for {uid}"
        self.sequences[uid] = sequence
        self.methods.append(method)
        if method == "REQUEST":
            assert [e for e in events if "RECURRENCE-ID" not in e], "a REQUEST carries the master"
            self.entries[uid] = calendar
        elif method == "CANCEL":
            (event,) = events
            if "RECURRENCE-ID" in event:
                self._cancel_one(uid, event["RECURRENCE-ID"].dt)
            else:
                self.entries.pop(uid, None)
        else:
            raise AssertionError(f"unexpected METHOD {method}")

    def _cancel_one(self, uid: str, recurrence_id: object) -> None:
        calendar = self.entries[uid]
        def is_that_one(c: icalendar.cal.Component) -> bool:
            return c.name == "VEVENT" and "RECURRENCE-ID" in c and c["RECURRENCE-ID"].dt == recurrence_id

        kept = [c for c in calendar.subcomponents if not is_that_one(c)]
        calendar.subcomponents[:] = kept
        (master,) = [c for c in kept if c.name == "VEVENT" and "RECURRENCE-ID" not in c]
        master.add("exdate", recurrence_id)

    def calendars(self) -> list[bytes]:
        return [calendar.to_ical() for calendar in self.entries.values()]
