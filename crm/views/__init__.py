"""What a person reads: contact profiles, the weekly review, drafts, the calendar of nudges."""
