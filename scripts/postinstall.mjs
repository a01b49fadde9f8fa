// Builds the pre-initialised PGlite template after `npm install`, so the first `npm start`
// loads it (~0.5 s) instead of running initdb (3–8 s, ~0.7 GB). Never fails the install:
// without the template, first start simply runs initdb.
import { register } from 'tsx/esm/api';

try {
  register();
  const { ensurePgliteTemplate, defaultTemplatePath } = await import('../src/platform/db/pglite-template.ts');
  const started = Date.now();
  await ensurePgliteTemplate();
  console.log(`switchyard: embedded database template ready (${defaultTemplatePath()}, ${Date.now() - started} ms)`);
} catch (err) {
  console.warn(
    `switchyard: could not build the embedded database template (${err?.message ?? err}); first start will run initdb`,
  );
}
