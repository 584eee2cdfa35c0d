"""Judges score an artifact against the rubric: `rules` (offline), and LLM judges."""
