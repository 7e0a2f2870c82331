"""Questions built on the engines: model averaging, design analysis, the next trial, operating characteristics."""
