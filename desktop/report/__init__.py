"""The supervisor's report as a document: PDF through Qt, one self-contained HTML file, DOCX.

What the report says is decided in :mod:`db.report.content`; this package only lays it out (fonts, page
furniture, the chart and the map images) and writes the file.
"""
