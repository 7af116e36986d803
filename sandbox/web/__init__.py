"""The HTTP faces: the lean capture entry point and the Flask blueprints."""
