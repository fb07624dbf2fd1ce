"""Forms of the provider pages, one module per topic."""
