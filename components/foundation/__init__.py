"""Shared building blocks every component uses: the account provider, the org blueprint, names,
regions, IAM documents, KMS keys, buckets, the network and the stack context."""
