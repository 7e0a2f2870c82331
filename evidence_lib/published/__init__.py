"""Published pooled results: refits from summaries, the two readings, the audit of the figures."""
