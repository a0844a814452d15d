"""Meeting providers (Zoom, Microsoft Teams, plain links); build them with ``registry``."""
