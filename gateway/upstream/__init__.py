"""Calls to model providers: the OpenAI-compatible fast path, litellm, the built-in mock, routing."""
