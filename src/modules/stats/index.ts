export { statsRoutes } from './stats.routes.ts';
export { countRunsByStatus } from './stats.service.ts';
