-- Audit entries keep the W3C trace context of the request that made the change, so runs the event
-- relay starts for it continue that trace (docs/operations.md, "Tracing").
ALTER TABLE "audit_logs" ADD COLUMN "trace_context" text;--> statement-breakpoint
-- The item-create function writes the audit entry itself: it takes the trace context too.
DROP FUNCTION sy_item_create(text, text, text, text, text, text[], jsonb, timestamptz, integer, text, text, text,
  text, text, text, jsonb, text, text, text);--> statement-breakpoint
CREATE FUNCTION sy_item_create(p_tenant text, p_id text, p_name text, p_description text, p_status text,
  p_tags text[], p_metadata jsonb, p_at timestamptz, p_quota integer,
  a_id text, a_actor_type text, a_actor_id text, a_action text, a_target_type text, a_target_id text,
  a_changes jsonb, a_request_id text, a_ip text, a_user_agent text, a_trace_context text)
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
      request_id, ip, user_agent, trace_context)
    VALUES (a_id, p_tenant, a_actor_type, a_actor_id, a_action, a_target_type, a_target_id, a_changes,
      a_request_id, a_ip, a_user_agent, a_trace_context);
END
$$;--> statement-breakpoint
DO $$
BEGIN
  GRANT CREATE ON SCHEMA public TO switchyard_tenant;
  ALTER FUNCTION sy_item_create(text, text, text, text, text, text[], jsonb, timestamptz, integer, text, text, text,
    text, text, text, jsonb, text, text, text, text) OWNER TO switchyard_tenant;
  REVOKE CREATE ON SCHEMA public FROM switchyard_tenant;
END
$$;
