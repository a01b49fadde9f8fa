-- Row-level security: the second wall behind the tenant filter every query already carries.
--
-- Tenant-scoped work runs inside a transaction that switches to the role below and names its
-- tenant: `SET LOCAL ROLE switchyard_tenant` + `set_config('app.tenant_id', <id>, true)`
-- (src/platform/db/tenant-scope.ts). Under that role a table with a tenant_id column shows and
-- accepts only that tenant's rows, whatever the query's WHERE says; with no tenant named it
-- shows nothing. The owner of the tables (the role Switchyard connects as) is not subject to the
-- policies (no FORCE): sign-in, invitations, the operator and the engine's own bookkeeping are
-- cross-tenant by nature and run as the owner.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'switchyard_tenant') THEN
    CREATE ROLE switchyard_tenant NOLOGIN NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- another database on this cluster created it at the same moment
END
$$;--> statement-breakpoint
DO $$
BEGIN
  -- The connecting role must be a member to SET ROLE to it (a superuser always may).
  IF NOT pg_has_role(current_user, 'switchyard_tenant', 'MEMBER') THEN
    EXECUTE format('GRANT switchyard_tenant TO %I', current_user);
  END IF;
END
$$;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO switchyard_tenant;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO switchyard_tenant;--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO switchyard_tenant;--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO switchyard_tenant;--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO switchyard_tenant;--> statement-breakpoint
ALTER TABLE "tenants" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "tenants"
  USING ("id" = current_setting('app.tenant_id', true))
  WITH CHECK ("id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "items" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "items"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "settings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "settings"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "audit_logs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "audit_logs"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "memberships" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "memberships"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "invitations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "invitations"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "api_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "api_keys"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "sessions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "sessions"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "mfa_challenges" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "mfa_challenges"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "identity_providers" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "identity_providers"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));--> statement-breakpoint
ALTER TABLE "email_outbox" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "email_outbox"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));
--> statement-breakpoint
-- Hot paths bound to a tenant in one prepared round trip. A SECURITY DEFINER function owned by
-- switchyard_tenant runs as that role, so the policies above bind its queries; it names the
-- tenant first. (The alternative, BEGIN + SET LOCAL ROLE + set_config + query + COMMIT, cost
-- 30-45% of these routes' throughput; see bench/README.md.)
CREATE FUNCTION sy_item_get(p_tenant text, p_id text)
RETURNS TABLE (id text, tenant_id text, name text, description text, status text, tags text[], metadata jsonb,
  version integer, created_at timestamptz, updated_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
#variable_conflict use_column
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant, true);
  RETURN QUERY SELECT i.id, i.tenant_id, i.name, i.description, i.status, i.tags, i.metadata, i.version,
      i.created_at, i.updated_at
    FROM items i WHERE i.tenant_id = p_tenant AND i.id = p_id;
END
$$;--> statement-breakpoint
-- Creates an item and its audit entry atomically. With p_quota set, only while the tenant holds
-- fewer items (a soft limit: concurrent creates may overshoot by a few); no row back = quota.
CREATE FUNCTION sy_item_create(p_tenant text, p_id text, p_name text, p_description text, p_status text,
  p_tags text[], p_metadata jsonb, p_at timestamptz, p_quota integer,
  a_id text, a_actor_type text, a_actor_id text, a_action text, a_target_type text, a_target_id text,
  a_changes jsonb, a_request_id text, a_ip text, a_user_agent text)
RETURNS TABLE (id text, tenant_id text, name text, description text, status text, tags text[], metadata jsonb,
  version integer, created_at timestamptz, updated_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
#variable_conflict use_column
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant, true);
  IF p_quota IS NOT NULL AND (SELECT count(*) FROM items i WHERE i.tenant_id = p_tenant) >= p_quota THEN
    RETURN;
  END IF;
  RETURN QUERY INSERT INTO items AS i (id, tenant_id, name, description, status, tags, metadata, created_at, updated_at)
    VALUES (p_id, p_tenant, p_name, p_description, p_status, p_tags, p_metadata, p_at, p_at)
    RETURNING i.id, i.tenant_id, i.name, i.description, i.status, i.tags, i.metadata, i.version,
      i.created_at, i.updated_at;
  INSERT INTO audit_logs (id, tenant_id, actor_type, actor_id, action, target_type, target_id, changes,
      request_id, ip, user_agent)
    VALUES (a_id, p_tenant, a_actor_type, a_actor_id, a_action, a_target_type, a_target_id, a_changes,
      a_request_id, a_ip, a_user_agent);
END
$$;--> statement-breakpoint
-- Handing the functions to switchyard_tenant needs it to hold CREATE on the schema for a moment
-- (a superuser skips that check); it does not keep it.
DO $$
BEGIN
  GRANT CREATE ON SCHEMA public TO switchyard_tenant;
  ALTER FUNCTION sy_item_get(text, text) OWNER TO switchyard_tenant;
  ALTER FUNCTION sy_item_create(text, text, text, text, text, text[], jsonb, timestamptz, integer, text, text, text,
    text, text, text, jsonb, text, text, text) OWNER TO switchyard_tenant;
  REVOKE CREATE ON SCHEMA public FROM switchyard_tenant;
END
$$;
