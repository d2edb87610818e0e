/**
 * YAML parsing with source lines, so that every error can name the file, the line and the field.
 * js-yaml builds plain values; its `listener` hook reports where each node opens and closes, and from
 * that we keep, for every mapping and sequence, the line of each key and item.
 */
import yaml from 'js-yaml';
import type { FieldPath } from '../model/field-path.js';
import { InputError } from '../util/errors.js';

export type YamlPath = FieldPath;

interface NodeLines {
  line: number;
  children: Map<string | number, number>;
}

interface Frame {
  line: number;
  children: { result: unknown; line: number }[];
}

export interface LocatedYaml {
  value: unknown;
  /** 1-based line of the node at `path`, or of its nearest ancestor that has one. */
  lineOf(path: YamlPath): number;
}

export function parseYaml(text: string, file: string): LocatedYaml {
  const lines = new WeakMap<object, NodeLines>();
  const stack: Frame[] = [{ line: 0, children: [] }];
  let value: unknown;
  try {
    value = yaml.load(text, {
      filename: file,
      schema: yaml.CORE_SCHEMA,
      json: false,
      listener(event, state) {
        if (event === 'open') {
          stack.push({ line: state.line, children: [] });
          return;
        }
        const frame = stack.pop();
        const parent = stack[stack.length - 1];
        if (!frame || !parent) return;
        const result: unknown = state.result;
        const only = frame.children.length === 1 ? frame.children[0] : undefined;
        // A node js-yaml composes twice (block items, anchors) shows up as a frame around an identical child.
        const record = only && only.result === result ? only : { result, line: frame.line };
        if (record === only) {
          parent.children.push(record);
          return;
        }
        if (result !== null && typeof result === 'object' && !lines.has(result)) {
          const children = new Map<string | number, number>();
          if (Array.isArray(result)) {
            if (frame.children.length === result.length)
              for (const [i, c] of frame.children.entries()) children.set(i, c.line);
          } else if (frame.children.length === 2 * Object.keys(result).length) {
            for (let i = 0; i < frame.children.length; i += 2) {
              const key = frame.children[i];
              if (key) children.set(String(key.result), key.line);
            }
          }
          lines.set(result, { line: frame.line, children });
        }
        parent.children.push(record);
      },
    });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      const line = (e.mark?.line ?? 0) + 1;
      throw new InputError(`${file}:${line}: YAML syntax error: ${e.reason}`);
    }
    throw e;
  }
  return {
    value,
    lineOf(path: YamlPath): number {
      let node: unknown = value;
      let best = 1;
      const own = node !== null && typeof node === 'object' ? lines.get(node) : undefined;
      if (own) best = own.line + 1;
      for (const key of path) {
        if (node === null || typeof node !== 'object') break;
        const info = lines.get(node);
        const childLine = info?.children.get(Array.isArray(node) ? Number(key) : String(key));
        if (childLine !== undefined) best = childLine + 1;
        node = (node as Record<string | number, unknown>)[key];
        const inner = node !== null && typeof node === 'object' ? lines.get(node) : undefined;
        if (inner && childLine === undefined) best = inner.line + 1;
      }
      return best;
    },
  };
}
