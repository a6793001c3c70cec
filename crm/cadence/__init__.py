"""The cadence engine: who to nudge, when and why (pure), and the snapshot loader that feeds it."""
