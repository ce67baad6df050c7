"""How long each piece of text people type may be, in characters: one place for the JSON
schemas (``Field(max_length=...)``), the rules that check them and the page forms (their
``maxlength`` attributes, the hint under each field and the message next to it)."""

from __future__ import annotations

# Posts (R3, R4, R10).
CAPTION = 2200  # TikTok's caption limit
COVER_URL = 500
POST_LINK = 500  # a duet's or stitch's original post as typed: its link or post ID
TAKE_DOWN_REASON = 200

# Creator accounts (R2).
HANDLE = 24  # TikTok's handles: 2 to 24 characters
HANDLE_INPUT = 40  # what a form or the API accepts before "@maya.makes " is normalised
POST_ID = 32  # a post named by the id the JSON API gives it
DISPLAY_NAME = 80
REGION = 8
AVATAR_URL = 500

# People, businesses, ad accounts.
EMAIL = 254  # RFC 5321's longest address
PASSWORD = 200
PERSON_NAME = 120
BUSINESS_NAME = 120
AD_ACCOUNT_NAME = 120
TIMEZONE = 64

# Campaigns, ad groups, ads.
AD_NAME = 512  # TikTok's limit for campaign, ad group and ad names
LANDING_URL = 2000
AMOUNT = 20  # an amount as typed, "10,000,000.00"
BUDGET = 10_000_000  # the highest budget, in the ad account's currency
BID = 10_000  # the highest CPM bid: the price of 1,000 impressions

# Codes and the requests around them.
CODES_TEXT = 4000  # the link form's box: up to 20 codes, one a line
RENEWAL_MESSAGE = 1000
TERMS = 5000
DECLINE_REASON = 500
REPORT_REASON = 2000
NOTES = 5000  # roster entries and contracts
CURRENCY = 3

# Webhooks, developer apps, the TikTok connector.
WEBHOOK_URL = 2000
WEBHOOK_DESCRIPTION = 200
APP_NAME = 120
APP_URL = 2000
APP_STATE = 1000
CONNECTOR_URL = 2000
CONNECTOR_TOKEN = 1000
CONNECTOR_APP_ID = 40
CONNECTOR_SECRET = 200
