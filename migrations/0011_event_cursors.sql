CREATE TABLE "event_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"position" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
REVOKE ALL ON "event_cursors" FROM switchyard_tenant;
