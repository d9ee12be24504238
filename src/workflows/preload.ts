/**
 * Modules evaluated once per workflow thread and shared by every workflow it runs, instead of once
 * per workflow (scripts/bundle-workflows.js passes this file as `preloadModules`). Evaluating zod
 * again for every workflow is the largest single cost of starting one.
 *
 * The SDK deep-freezes whatever a preloaded module reaches, so only stateless libraries belong
 * here, and their lazily set globals must be settled first: zod 4 fills its global config (the
 * default locale and memoizer) on the first schema it builds, which would fail on the frozen
 * config inside a workflow. Building one object schema here settles both. Our schemas stay in each
 * workflow's own modules: a frozen schema cannot parse.
 *
 * The re-export also keeps the bundler from dropping the import: zod declares itself free of side
 * effects, so a bare `require('zod')` would be removed.
 */
import { z } from 'zod';

z.object({ settle: z.string() });

export { z };
