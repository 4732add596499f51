"""Tests of the transcript parsers."""
