"""Confidential session notes, the reflective supervision log and the audit trail that guards them."""
