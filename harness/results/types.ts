/**
 * Moved to harness/model/results.ts. This re-export remains only for the tests under test/browser and
 * test/engine, whose imports their owners move; nothing in harness/ may import it (.dependency-cruiser.cjs).
 * Delete it then.
 */
export * from '../model/results.js';
