"""HTTP routes of the gateway: the OpenAI API and the health and metrics endpoints."""
