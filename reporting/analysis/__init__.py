"""The analysis of national reports for a meeting: figures, charts and tables computed per
cycle, shown on the public statistics pages and built into the meeting document (PDF)."""
