"""pumpkernel's command line and evidence tooling (the outermost shell)."""
