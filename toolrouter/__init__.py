"""toolrouter: pick the tools and tables an LLM should see."""
