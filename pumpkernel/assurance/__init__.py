"""What argues: the evidence document and the safety assurance case built from it.

``document`` turns a ``pumpkernel.suite`` run into one JSON-able document (the
single source of every file of the bundle), with the traceability matrix;
``case`` builds the GSN (Goal Structuring Notation) assurance case from that
document.  Nothing here runs a step or writes a file.
"""
