"""Effect sizes from group summaries and counts (metafor's escalc), SEs from CIs, aggregation."""
