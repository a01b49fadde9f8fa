-- The bootstrap tenant: every request acts as it until identity and sign-up land.
INSERT INTO "tenants" ("id", "name") VALUES ('ten_00000000000000000000000000', 'Default workspace')
ON CONFLICT ("id") DO NOTHING;
--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_status_check" CHECK ("status" IN ('active', 'suspended'));
--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_status_check" CHECK ("status" IN ('active', 'archived', 'draft'));
--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_version_check" CHECK ("version" >= 1);
