"""The LLM governance gateway: an OpenAI-compatible proxy that enforces a company's rules."""

__version__ = "0.1.0"
