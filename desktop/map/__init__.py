"""The Map view: the theatre, settlements, user layers and the filtered incidents, drawn with pyqtgraph."""
