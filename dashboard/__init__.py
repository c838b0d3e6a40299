"""The Streamlit cost dashboard: ``ecoledger dashboard`` runs ``dashboard/app.py``.

``dashboard.data`` reads the ledger through the library (cached), ``dashboard.totals`` adds
runs' assessments up for the overview, ``dashboard.views`` holds one script per page.
Importing this package imports nothing heavy; Streamlit is imported by the modules that
need it.
"""
