-- The statements one POST /v1/ad-accounts/{id}/spark-posts {codes: [one code]} sends today,
-- in order, as listed by bench/sql_anatomy.py (22 round trips with BEGIN and COMMIT).
-- The first line takes the next never-bound code from a queue (not part of the app's work).
SELECT auth_id, code_hash, account_id, business_id, post_id, creator_id, user_id, token_hash
  FROM bench_queue WHERE n = (SELECT nextval('bench_seq')) \gset
BEGIN;
SELECT users.*, api_tokens.* FROM users JOIN api_tokens ON api_tokens.user_id = users.id
  WHERE api_tokens.token_hash = :token_hash;
SELECT * FROM ad_accounts WHERE id = :account_id;
SELECT * FROM business_members WHERE business_id = :business_id AND user_id = :user_id;
SELECT * FROM businesses WHERE id = :business_id;
SAVEPOINT s1;
SELECT * FROM authorizations WHERE code_hash = :code_hash;
SELECT * FROM posts WHERE id = :post_id;
SELECT * FROM creators WHERE id = :creator_id;
SELECT * FROM spark_posts
  WHERE ad_account_id = :account_id AND post_id = :post_id AND unbound_at IS NULL;
SELECT count(*) FROM spark_posts WHERE ad_account_id = :account_id AND unbound_at IS NULL;
UPDATE authorizations
  SET ad_account_id = :account_id, bound_at = coalesce(bound_at, now()),
      bound_by_id = coalesce(bound_by_id, :user_id)
  WHERE id = :auth_id AND deleted_at IS NULL AND expires_at > now()
    AND (ad_account_id IS NULL OR ad_account_id = :account_id);
SELECT * FROM authorizations WHERE id = :auth_id;
SAVEPOINT s2;
INSERT INTO spark_posts (id, ad_account_id, post_id, identity_type, authorization_id,
                         bound_by_id, bound_at)
  VALUES (md5(random()::text), :account_id, :post_id, 'AUTH_CODE', :auth_id, :user_id, now());
RELEASE SAVEPOINT s2;
INSERT INTO audit_events (id, occurred_at, actor_id, action, target_type, target_id, creator_id,
                          business_id, details, request_id)
  VALUES (md5(random()::text), now(), :user_id, 'spark_post.bound', 'spark_post',
          md5(random()::text), :creator_id, :business_id,
          '{"after": {"ad_account_id": "x", "post_id": "y", "authorization_id": "z"}}'::json,
          md5(random()::text)),
         (md5(random()::text), now(), :user_id, 'authorization.bound', 'authorization',
          :auth_id, :creator_id, :business_id,
          '{"after": {"ad_account_id": "x", "spark_post_id": "y"}}'::json,
          md5(random()::text));
RELEASE SAVEPOINT s1;
SELECT * FROM posts WHERE id = :post_id;
SELECT * FROM creators WHERE id = :creator_id;
SELECT * FROM authorizations WHERE id = :auth_id;
COMMIT;
