CREATE TABLE "queue_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"payload" jsonb NOT NULL,
	"state" text DEFAULT 'waiting' NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"run_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"backoff" jsonb,
	"idempotency_key" text,
	"lease_until" timestamp (3) with time zone,
	"worker_id" text,
	"last_error" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "queue_jobs_state_check" CHECK (state in ('waiting', 'active', 'dead')),
	CONSTRAINT "queue_jobs_attempts_check" CHECK (attempts >= 0 and max_attempts >= 1)
);
--> statement-breakpoint
CREATE TABLE "queue_schedules" (
	"queue" text NOT NULL,
	"name" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"payload" jsonb NOT NULL,
	"next_run_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "queue_schedules_queue_name_pk" PRIMARY KEY("queue","name")
);
--> statement-breakpoint
CREATE INDEX "queue_jobs_claim_idx" ON "queue_jobs" USING btree ("queue","priority","run_at","id") WHERE state = 'waiting';--> statement-breakpoint
CREATE INDEX "queue_jobs_lease_idx" ON "queue_jobs" USING btree ("lease_until") WHERE state = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "queue_jobs_idempotency_idx" ON "queue_jobs" USING btree ("queue","idempotency_key") WHERE idempotency_key is not null;--> statement-breakpoint
CREATE INDEX "queue_schedules_next_idx" ON "queue_schedules" USING btree ("next_run_at");--> statement-breakpoint
-- Queue bookkeeping crosses tenants: the tenant role (row-level security, 0008) gets no access.
REVOKE ALL ON "queue_jobs", "queue_schedules" FROM switchyard_tenant;
