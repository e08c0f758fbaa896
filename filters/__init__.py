"""Output filters over answers (PII, toxicity, blocklist) and the rejection pipeline."""
