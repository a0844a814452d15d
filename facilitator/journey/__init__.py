"""Each home's journey toward trauma-informed practice: self-assessment rounds and its action plan."""
