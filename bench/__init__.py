"""The performance benchmark of SPEC §8 (not part of the test run)."""
