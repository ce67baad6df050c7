-- The same reads, checks and writes as app_shaped.sql in ONE statement (one round trip,
-- autocommit). The writes happen only when the caller is a member of the ad account's business,
-- the post and creator are eligible, the code is live and free (or already this account's), and
-- the ad account is under its cap. It returns what the response needs.
-- The first line takes the next never-bound code from a queue (not part of the app's work).
SELECT auth_id, code_hash, account_id, business_id, post_id, creator_id, user_id, token_hash
  FROM bench_queue WHERE n = (SELECT nextval('bench_seq')) \gset
WITH caller AS (
  SELECT u.id FROM users u JOIN api_tokens t ON t.user_id = u.id
  WHERE t.token_hash = :token_hash AND t.revoked_at IS NULL
), acct AS (
  SELECT a.id, a.business_id FROM ad_accounts a
  JOIN business_members m ON m.business_id = a.business_id AND m.user_id = (SELECT id FROM caller)
  WHERE a.id = :account_id
), code AS (
  SELECT z.id, z.post_id, p.creator_id FROM authorizations z
  JOIN posts p ON p.id = z.post_id AND p.deleted_at IS NULL AND p.taken_down_at IS NULL
  JOIN creators c ON c.id = p.creator_id AND c.ad_settings_enabled_at IS NOT NULL
  WHERE z.code_hash = :code_hash
), cap AS (
  SELECT count(*) AS n FROM spark_posts WHERE ad_account_id = :account_id AND unbound_at IS NULL
), claimed AS (
  UPDATE authorizations z
  SET ad_account_id = acct.id, bound_at = coalesce(z.bound_at, now()),
      bound_by_id = coalesce(z.bound_by_id, (SELECT id FROM caller))
  FROM acct, code, cap
  WHERE z.id = code.id AND z.deleted_at IS NULL AND z.expires_at > now()
    AND (z.ad_account_id IS NULL OR z.ad_account_id = acct.id) AND cap.n < 10000
  RETURNING z.id, z.post_id, z.expires_at
), sp AS (
  INSERT INTO spark_posts (id, ad_account_id, post_id, identity_type, authorization_id,
                           bound_by_id, bound_at)
  SELECT md5(random()::text), :account_id, claimed.post_id, 'AUTH_CODE', claimed.id,
         (SELECT id FROM caller), now()
  FROM claimed RETURNING id
), audit AS (
  INSERT INTO audit_events (id, occurred_at, actor_id, action, target_type, target_id,
                            creator_id, business_id, details, request_id)
  SELECT * FROM (VALUES
    (md5(random()::text), now(), :user_id, 'spark_post.bound', 'spark_post',
     md5(random()::text), :creator_id, :business_id,
     '{"after": {"ad_account_id": "x", "post_id": "y", "authorization_id": "z"}}'::json,
     md5(random()::text)),
    (md5(random()::text), now(), :user_id, 'authorization.bound', 'authorization',
     :auth_id, :creator_id, :business_id,
     '{"after": {"ad_account_id": "x", "spark_post_id": "y"}}'::json,
     md5(random()::text))
  ) v WHERE EXISTS (SELECT 1 FROM sp)
  RETURNING id
)
SELECT claimed.id, claimed.expires_at, (SELECT id FROM sp), (SELECT count(*) FROM audit)
FROM claimed;
