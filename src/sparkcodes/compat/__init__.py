"""Surfaces that speak other systems' APIs over sparkcodes' own services."""
