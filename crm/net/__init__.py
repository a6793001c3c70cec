"""Network clients: they speak the protocol (IMAP, later DAV); what to do with the data is decided above."""
