"""All tables. Import from here so the metadata is complete."""

from sqlalchemy.orm import configure_mappers

from sparkcodes.models.ad_account import AdAccount, LinkedIdentity
from sparkcodes.models.api_token import ApiToken
from sparkcodes.models.audit_chain import AuditAlert, AuditChainHead, AuditLink
from sparkcodes.models.audit_event import AuditEvent
from sparkcodes.models.authorization import Authorization
from sparkcodes.models.base import CONTACT, NATIVE, TIKTOK, Base, new_id
from sparkcodes.models.business import Business, BusinessMember
from sparkcodes.models.calendar_feed import CalendarFeed
from sparkcodes.models.campaign import Ad, AdGroup, Campaign
from sparkcodes.models.code_request import CodeRequest
from sparkcodes.models.contract import Contract
from sparkcodes.models.creator import Creator
from sparkcodes.models.creator_link import CreatorLink
from sparkcodes.models.developer_app import AppGrant, AppGrantAdAccount, DeveloperApp
from sparkcodes.models.email_message import EmailMessage
from sparkcodes.models.email_opt_out import EmailOptOut
from sparkcodes.models.engagement import METRICS, EngagementDaily, EngagementEvent
from sparkcodes.models.fallback_policy import FallbackPolicy
from sparkcodes.models.idempotency_key import IdempotencyKey
from sparkcodes.models.job import Job
from sparkcodes.models.misuse_report import MisuseReport
from sparkcodes.models.notification import Notification
from sparkcodes.models.post import Post, PostRevision
from sparkcodes.models.rate_limit_counter import RateLimitCounter
from sparkcodes.models.reminder import Reminder
from sparkcodes.models.renewal_request import RenewalRequest
from sparkcodes.models.roster_entry import RosterEntry
from sparkcodes.models.sandbox_clock import SandboxClock
from sparkcodes.models.spark_post import SparkPost
from sparkcodes.models.tiktok_connection import TikTokAdvertiser, TikTokConnection, TikTokSyncRun
from sparkcodes.models.user import User
from sparkcodes.models.webhook_delivery import WebhookDelivery
from sparkcodes.models.webhook_endpoint import WebhookEndpoint
from sparkcodes.models.webhook_message import WebhookMessage

__all__ = [
    "CONTACT", "METRICS", "NATIVE", "TIKTOK", "Ad", "AdGroup", "Campaign", "EngagementDaily",
    "EngagementEvent", "AdAccount", "ApiToken", "AuditAlert", "AuditChainHead", "AuditEvent",
    "AuditLink", "Authorization", "Base", "Business", "BusinessMember",
    "Creator", "IdempotencyKey", "Job", "AppGrant", "AppGrantAdAccount", "DeveloperApp",
    "CalendarFeed", "CodeRequest", "Contract", "CreatorLink", "EmailMessage", "EmailOptOut",
    "FallbackPolicy", "MisuseReport",
    "Notification", "RateLimitCounter", "Reminder", "RenewalRequest", "RosterEntry",
    "WebhookDelivery",
    "WebhookEndpoint", "WebhookMessage", "LinkedIdentity", "Post", "PostRevision", "SandboxClock",
    "SparkPost", "TikTokAdvertiser", "TikTokConnection", "TikTokSyncRun", "User", "new_id",
]

# Every model is imported: configure the mappers now, at import, while one thread runs, before
# any module builds an alias of them (kit.sql.shared_alias). Left to the first query, the
# configuration runs while request threads already use the aliases, and expires the mappers'
# memoized state under them.
configure_mappers()
