"""Developer apps of the TikTok-compatible surface: app_id and secret, grants of ad accounts, and
the advertiser-scoped tokens exchanged for an auth_code (docs/tiktok.md, "Who calls")."""
