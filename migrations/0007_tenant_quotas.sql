ALTER TABLE "tenants" ADD COLUMN "quota_items" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "quota_members" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_quotas_check" CHECK (("quota_items" IS NULL OR "quota_items" >= 0) AND ("quota_members" IS NULL OR "quota_members" >= 1));
