"""CSV for headquarters and spreadsheets: native and ACLED export, native import."""
