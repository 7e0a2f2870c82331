"""The study table, the measure vocabulary, the result vocabulary, input checks and error types."""
