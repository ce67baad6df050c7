"""All tables. Import from here so the metadata is complete."""

from sparkcodes.models.ad_account import AdAccount, LinkedIdentity
from sparkcodes.models.api_token import ApiToken
from sparkcodes.models.audit_event import AuditEvent
from sparkcodes.models.authorization import Authorization
from sparkcodes.models.base import Base, new_id
from sparkcodes.models.business import Business, BusinessMember
from sparkcodes.models.campaign import Ad, AdGroup, Campaign
from sparkcodes.models.creator import Creator
from sparkcodes.models.developer_app import AppGrant, AppGrantAdAccount, DeveloperApp
from sparkcodes.models.engagement import METRICS, EngagementDaily, EngagementEvent
from sparkcodes.models.idempotency_key import IdempotencyKey
from sparkcodes.models.job import Job
from sparkcodes.models.operations import (
    CalendarFeed,
    CodeRequest,
    Contract,
    EmailMessage,
    FallbackPolicy,
    MisuseReport,
    Notification,
    Reminder,
    RenewalRequest,
    RosterEntry,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from sparkcodes.models.post import Post, PostRevision
from sparkcodes.models.sandbox_clock import SandboxClock
from sparkcodes.models.spark_post import SparkPost
from sparkcodes.models.user import User

__all__ = [
    "METRICS", "Ad", "AdGroup", "Campaign", "EngagementDaily", "EngagementEvent",
    "AdAccount", "ApiToken", "AuditEvent", "Authorization", "Base", "Business", "BusinessMember",
    "Creator", "IdempotencyKey", "Job", "AppGrant", "AppGrantAdAccount", "DeveloperApp",
    "CalendarFeed", "CodeRequest", "Contract", "EmailMessage", "FallbackPolicy", "MisuseReport",
    "Notification", "Reminder", "RenewalRequest", "RosterEntry", "WebhookDelivery",
    "WebhookEndpoint", "WebhookMessage", "LinkedIdentity", "Post", "PostRevision", "SandboxClock",
    "SparkPost", "User", "new_id",
]
