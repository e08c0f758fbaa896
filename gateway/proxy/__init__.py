"""The doors of the gateway: each API's request format, checked and translated at the edge."""
