"""seasons' image pipeline: pure functions on numpy arrays, no Django."""
