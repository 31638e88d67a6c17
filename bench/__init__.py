"""`make bench`: the production shape on loopback, measured against a bare baseline."""
