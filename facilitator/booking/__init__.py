"""Booking sessions on Zoom, Microsoft Teams or a pasted link, and keeping the providers in step.

``services`` holds the booking rules, ``sync`` brings every pending change to the provider,
``providers`` builds the provider clients from configuration with their shared state.
"""
