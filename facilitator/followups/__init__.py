"""The follow-up loop (issue 18): a home that becomes at risk or disengaged in a group gets a
follow-up for the group's facilitators, who log each contact with the home, snooze it or close
it with an outcome, and can send the home a "We missed you" email; nobody logging a contact for
``FOLLOW_UP_ESCALATE_DAYS`` tells the leads.

``opening`` decides when one opens (from the engagement report), ``services`` holds the rules
and writes, ``escalation`` the clock and the leads' email, ``missed_you`` the email to the home,
``queries`` the reads and who may see what, ``worker`` the pass and its command, ``views`` the
screens (the API is ``facilitator.api.followups``).
"""

from __future__ import annotations

from flask import Flask

from facilitator.models import FollowUpChannel, FollowUpOutcome, FollowUpState

CHANNEL_LABELS = {"phone": "Phone", "email": "Email", "visit": "Visit", "video": "Video call",
                  "other": "Other"}
OUTCOME_LABELS = {"re_engaged": "Re-engaged", "paused": "Paused", "withdrawn": "Withdrawn", "other": "Other"}
STATE_LABELS = {"open": "Open", "snoozed": "Snoozed", "closed": "Closed"}


def init_app(app: Flask) -> None:
    from facilitator.followups import views  # noqa: F401 - its routes are on bp
    from facilitator.followups.blueprint import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(follow_up_channels=FollowUpChannel, follow_up_outcomes=FollowUpOutcome,
                                 follow_up_states=FollowUpState, follow_up_channel_labels=CHANNEL_LABELS,
                                 follow_up_outcome_labels=OUTCOME_LABELS, follow_up_state_labels=STATE_LABELS)
