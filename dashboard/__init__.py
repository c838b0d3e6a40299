"""The Streamlit cost dashboard."""
