"""E-mail: rendering outbox rows in the reader's language, sending them (SMTP or .eml files),
the worker that does it with retries, and the pages the e-mails' links open."""
