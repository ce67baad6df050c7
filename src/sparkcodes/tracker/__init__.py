"""The tracker: every Spark post a business holds, with window, live ads and money at risk (R22)."""
