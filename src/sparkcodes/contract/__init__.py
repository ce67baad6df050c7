"""Contracts: the usage windows a business agreed with a creator (R26)."""
