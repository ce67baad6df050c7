"""Creators who are not on sparkcodes: requests answered through an e-mailed link."""
