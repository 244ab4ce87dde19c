"""Adapters: the imperative shell around the kernel (motor, sensor, persistence, command channel, simulation).

Adapters translate between the kernel and the world; no dosing decision lives
here.  They import ``kernel`` and the standard library (and, for simulation,
optional extras), never ``specs``, ``proofs`` or ``property_tests``.
"""
