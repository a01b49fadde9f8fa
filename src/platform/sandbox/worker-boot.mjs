// Entry point of a sandbox worker thread. Worker threads do not inherit the loader hooks that tsx
// registered in the main thread (bin/switchyard.mjs, `node --import tsx`), so register them here,
// then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
