"""What renders: the evidence bundle's files from the evidence document and the assurance case.

``blocks``, ``details`` and ``reviewer`` lay the report out as blocks;
``markup`` renders blocks as Markdown and HTML; ``units`` gives every
internal quantity in human units; ``charts`` draws inline SVG charts;
``gsn`` draws the assurance case with Graphviz; ``junit`` writes JUnit XML;
``bundle`` writes every file; ``browser`` opens the HTML pages in headless
Chromium and takes screenshots.
"""
