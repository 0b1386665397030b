"""Cross-domain sharing: what a consumer builds on a grant, the producer's event forwarding, and the
data product contract other stacks read."""
