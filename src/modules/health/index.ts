export { type HealthCheck, healthRoutes } from './health.routes.ts';
