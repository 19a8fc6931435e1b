"""What the map view draws, worked out without Qt: theatre shapes, settlements, incident positions.

The window's map (``desktop.map``) only moves these numbers into pyqtgraph items; the choice of
what is in view, what is counted per cell and which settlements are named is made and tested here.
"""
