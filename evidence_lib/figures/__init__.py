"""Figures and reader tables: they draw what they are given."""
