"""The store: models, the database file, migrations, and the records kept in it."""
