"""Calendar replies (iMIP REPLY): read from the organizer mailbox, matched to what we sent, shown
on the session page and the register."""
