"""Streamlit pages (thin: gather inputs, call the core, render). See app.py."""
