"""Two-way sync with CardDAV address books and CalDAV calendars.

`cards` syncs contacts (the status-based three-way decision, after vdirsyncer and OfflineIMAP),
`merge` is its pure field-by-field merge, `nudges` puts the coming suggestions on a calendar as
to-dos and logs the ones ticked there. docs/sync.md describes the algorithm and what is stored.
"""
