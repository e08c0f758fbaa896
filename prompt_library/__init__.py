"""The shared prompt library: versioned prompts, approval workflow, rendering by reference."""
