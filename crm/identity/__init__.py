"""Who is who: importing files into the store with the join rules, and finding duplicates."""
