"""Importers: read user files (dataset tables, transcripts) into canonical records."""
