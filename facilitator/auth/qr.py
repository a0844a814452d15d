"""A QR code of the authenticator set-up URI, drawn here as SVG (no outside QR service sees the key).

Uses ``segno`` (pure Python) when it is installed; without it the set-up page shows the key and the
``otpauth://`` URI as text only, which every authenticator app accepts too.
"""

from __future__ import annotations

try:
    import segno
except ImportError:  # optional: the page works without a picture
    segno = None


def svg_data_uri(text: str) -> str | None:
    """A ``data:image/svg+xml`` URI of the QR code (the CSP allows ``data:`` images), or None."""
    if segno is None:
        return None
    return segno.make(text, error="m").svg_data_uri(scale=4, border=4, dark="#000", light="#fff")
