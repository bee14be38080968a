"""Helpers for the dataset tests: a generated corpus, a pipeline run in a real child process, snapshots."""
