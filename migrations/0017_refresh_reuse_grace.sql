-- Refresh tokens remember who exchanged them (a hash of IP and user agent), so the same client
-- presenting a just-used token again — a page reloaded while its refresh was in flight never
-- stored the successor — gets a fresh token instead of having its session revoked as a theft.
ALTER TABLE "refresh_tokens" ADD COLUMN "used_by" text;