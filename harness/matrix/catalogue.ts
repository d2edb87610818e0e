/**
 * Moved to harness/model/catalogue.ts. This re-export remains only for test/engine, whose imports their
 * owners move; nothing in harness/ may import it (.dependency-cruiser.cjs). Delete it then.
 */
export * from '../model/catalogue.js';
