"""mockcanvas's benchmarks: ``python -m benchmarks [--quick] [--json FILE]`` runs them all."""
