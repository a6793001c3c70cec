"""Network clients: they speak the protocol (IMAP, WebDAV); what to do with the data is decided above."""
