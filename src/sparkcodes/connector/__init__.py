"""The TikTok connector: a business's connections to TikTok's Business API (docs/connector.md)."""
