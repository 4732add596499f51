"""The diagnosis report: one self-contained HTML file, pseudonymisation, exports."""
