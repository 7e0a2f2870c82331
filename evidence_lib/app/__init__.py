"""The application: the evidence-lib command, the report runner, the exercises, checkout paths."""
