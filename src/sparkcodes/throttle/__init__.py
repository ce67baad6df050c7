"""Brute-force limits (code look-ups R15, log-ins), counted atomically in a store every process
shares."""
