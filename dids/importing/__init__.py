"""Bulk creation of DIDs: CSV files (browser and ``manage.py import_dids``) and
number ranges, through one pipeline: read rows, check each one, preview, write
the valid ones in one transaction, report every rejected row, undo.
"""
