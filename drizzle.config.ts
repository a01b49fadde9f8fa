import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes a new numbered migration from the module tables. Migrations are
// forward-only, reviewed like code, and applied by `switchyard migrate` and on start.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/modules/*/*.table.ts', './src/platform/*/*.table.ts'],
  out: './migrations',
});
