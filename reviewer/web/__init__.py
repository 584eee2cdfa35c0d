"""The FastAPI service: JSON API now, pages later."""
