"""Property tests over random PyTensor graphs (generator, oracle, CI budget, regressions)."""
