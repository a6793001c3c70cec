"""File formats: bytes to records and back (vCard, CSV), knowing nothing of the database."""
