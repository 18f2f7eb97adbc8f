"""Shipped cycle definitions (YAML) and their Jinja2 templates: data, no code.

This file exists so the folder installs as package data beside the code.
"""
