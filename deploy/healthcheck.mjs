/* global fetch, AbortSignal */
// The image's HEALTHCHECK: exits 0 when this container's server answers GET /health/live on
// 127.0.0.1:$PORT within 2 s, 1 otherwise. Liveness, not readiness: a container whose database is
// briefly unreachable is not restarted for it (readiness belongs to the load balancer).
const port = process.env.PORT || '3000';
try {
  const res = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(2000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
