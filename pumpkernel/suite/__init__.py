"""What gathers results: the steps of ``pumpkernel verify`` and the run that strings them together.

``model`` holds the types (``Options``, ``StepReport``, ``Verification``) and
the statuses; ``context`` the exact source and tool versions; one module per
family of steps; ``run`` runs them in order.  Nothing here argues or renders:
``pumpkernel.assurance`` turns a ``Verification`` into the evidence document
and the assurance case, ``pumpkernel.report`` renders them.
"""
