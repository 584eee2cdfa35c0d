"""reviewer: assesses how well people work with generative AI from their real work."""
