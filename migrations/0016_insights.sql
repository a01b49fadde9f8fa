-- Insights: what the hourly insights pass found in a workflow's run history (failure-rate and
-- latency anomalies, failing steps, retry hot spots, slow steps), append-only, deduplicated per
-- tenant by a key naming the finding. It carries tenant_id, so it gets the tenant_isolation policy
-- of migration 0008 (the grants come from its default privileges).
CREATE TABLE "insights" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"title" text NOT NULL,
	"details" jsonb NOT NULL,
	"window_start" timestamp (3) with time zone NOT NULL,
	"window_end" timestamp (3) with time zone NOT NULL,
	"dedupe_key" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "insights" ADD CONSTRAINT "insights_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "insights" ADD CONSTRAINT "insights_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "insights_dedupe_idx" ON "insights" USING btree ("tenant_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "insights_tenant_created_idx" ON "insights" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "insights_workflow_created_idx" ON "insights" USING btree ("workflow_id","created_at","id");--> statement-breakpoint
ALTER TABLE "insights" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "insights"
  USING ("tenant_id" = current_setting('app.tenant_id', true))
  WITH CHECK ("tenant_id" = current_setting('app.tenant_id', true));
