"""Hostile inputs for the pipeline (issue 8): see make_corpus.py."""
