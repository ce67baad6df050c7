"""The roster: a brand's creator pipeline with status, region, rates and codes held (R31)."""
