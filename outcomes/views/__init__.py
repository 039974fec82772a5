"""Pages of the results chain: reading (`chain`) and editing (`edit`)."""
