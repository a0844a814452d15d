"""Helpers the tests share: databases, factories, fake clocks, local servers; no tests here."""
