"""Routes grouped by what the caller works with."""
