"""The usage ledger: one record per request, its tokens and cost, and the batched writer that stores it."""
