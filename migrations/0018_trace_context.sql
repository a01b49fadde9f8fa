-- Runs and jobs keep the W3C trace context (traceparent[;tracestate]) of what started them, so
-- the worker that executes them continues the same trace (docs/operations.md, "Tracing").
ALTER TABLE "jobs" ADD COLUMN "trace_context" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "trace_context" text;