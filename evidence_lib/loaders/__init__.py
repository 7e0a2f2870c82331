"""Data: the packaged tables, the Metapsy database and its selections, a user's CSV files."""
