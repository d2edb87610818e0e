/**
 * The matrix file's schema (JSON Schema, built with TypeBox so the TypeScript types follow from it).
 * Structure only; cross-references (ids, rules that cover every cell) are checked in validate.ts.
 */
import { type Static, Type } from '@sinclair/typebox';
import { LINKS, STATES } from './catalogue.js';

export const MATRIX_SCHEMA_VERSION = 1;
export const SUITES = ['bullseye', 'bookworm', 'trixie', 'sid'] as const;

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 64 });
const Text = Type.String({ minLength: 1 });
const Strict = { additionalProperties: false } as const;

export const StockGlibc = Type.Object(
  {
    id: Id,
    source: Type.Literal('stock'),
    suite: Type.Union(SUITES.map((s) => Type.Literal(s))),
    description: Type.Optional(Text),
  },
  Strict,
);

export const Variant = Type.Object(
  {
    id: Id,
    description: Type.Optional(Text),
    /** Patch files under the repository's patches/, applied in order. */
    patches: Type.Optional(Type.Array(Text)),
    /** The glibc entries this variant applies to (default: all). */
    glibc: Type.Optional(Type.Array(Id, { minItems: 1 })),
  },
  Strict,
);

const Pattern = Type.Union([Text, Type.Array(Text, { minItems: 1 })]);

export const ExpectRule = Type.Object(
  {
    match: Type.Optional(
      Type.Object(
        {
          glibc: Type.Optional(Pattern),
          variant: Type.Optional(Pattern),
          link: Type.Optional(Pattern),
          scenario: Type.Optional(Pattern),
          stage: Type.Optional(Pattern),
        },
        Strict,
      ),
    ),
    expect: Type.Union([...STATES.map((s) => Type.Literal(s)), Type.Literal('skip')]),
    why: Text,
  },
  Strict,
);

export const MatrixSchema = Type.Object(
  {
    schemaVersion: Type.Literal(MATRIX_SCHEMA_VERSION),
    name: Id,
    description: Type.Optional(Text),
    glibc: Type.Array(StockGlibc, { minItems: 1 }),
    variants: Type.Array(Variant, { minItems: 1 }),
    links: Type.Array(Type.Union(LINKS.map((l) => Type.Literal(l))), { minItems: 1, uniqueItems: true }),
    scenarios: Type.Array(Id, { minItems: 1, uniqueItems: true }),
    stages: Type.Array(Id, { minItems: 1, uniqueItems: true }),
    expect: Type.Array(ExpectRule, { minItems: 1 }),
    options: Type.Optional(
      Type.Object(
        {
          /** Seconds one probe process may run before its process group is killed. */
          probeTimeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 600 })),
        },
        Strict,
      ),
    ),
  },
  Strict,
);

export type MatrixDoc = Static<typeof MatrixSchema>;
export type GlibcEntry = MatrixDoc['glibc'][number];
export type VariantEntry = Static<typeof Variant>;
export type ExpectRuleDoc = Static<typeof ExpectRule>;
