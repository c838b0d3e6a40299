"""The Streamlit cost dashboard: ``ecoledger dashboard`` runs ``dashboard/app.py``.

``dashboard.data`` reads the ledger through the library (cached); the overview adds runs up
with ``accounting.assessment.aggregate``; ``dashboard.views`` holds one script per page.
Importing this package imports nothing heavy; Streamlit is imported by the modules that
need it.
"""
