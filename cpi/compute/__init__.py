"""Pure statistics of the CPI evidence: no ORM, tested with plain numbers."""
