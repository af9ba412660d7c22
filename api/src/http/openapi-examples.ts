// Examples for the OpenAPI document: a request body example from the operation table when one is
// written there, otherwise (and for every 2xx JSON answer) a value derived from the schema itself,
// so every example validates against its schema (api/test/openapi-contract.test.ts checks it).
type Schema = Record<string, any>;

const FORMAT_EXAMPLES: Record<string, string> = {
  'date-time': '2026-12-07T15:00:00Z',
  date: '2026-12-07',
  uri: 'https://duet.example/resource',
  url: 'https://duet.example/resource',
  uuid: 'a3c1c9de-5b7e-4b43-9f4e-0c2b8f1d6e21',
  email: 'tutor@marketplace.example',
};

// Tried in order against a string schema's pattern.
const PATTERN_CANDIDATES = ['example', '2026-12-07T15:00:00Z', 'a3c1c9de-5b7e-4b43-9f4e-0c2b8f1d6e21', '10', 'scheduled', 'tutor', 'https://duet.example/resource', 'node-1'];

/** A deterministic example value for `schema`; `resolve` follows `$ref`s into components. */
export function exampleFor(schema: Schema | undefined, resolve: (ref: string) => Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 12) return null;
  if (schema.$ref) return exampleFor(resolve(schema.$ref), resolve, depth + 1);
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const alt = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alt)) return exampleFor(alt.find((s: Schema) => s.type !== 'null') ?? alt[0], resolve, depth + 1);
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((s: Schema) => exampleFor(s, resolve, depth + 1)));
  const type = Array.isArray(schema.type) ? (schema.type.find((t: string) => t !== 'null') ?? schema.type[0]) : schema.type;
  switch (type) {
    case 'object':
    case undefined: {
      if (!schema.properties) return {};
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries<Schema>(schema.properties)) out[k] = exampleFor(v, resolve, depth + 1);
      return out;
    }
    case 'array': {
      const n = Math.max(1, schema.minItems ?? 1);
      return Array.from({ length: Math.min(n, 3) }, () => exampleFor(schema.items, resolve, depth + 1));
    }
    case 'string': {
      const candidates = [schema.format ? FORMAT_EXAMPLES[schema.format] : undefined, ...PATTERN_CANDIDATES].filter((c): c is string => c !== undefined);
      if (schema.pattern) return candidates.find((c) => new RegExp(schema.pattern, 'u').test(c)); // undefined: left out
      if (schema.format && FORMAT_EXAMPLES[schema.format]) return FORMAT_EXAMPLES[schema.format];
      const s = 'example';
      const min = schema.minLength ?? 0;
      const max = schema.maxLength ?? Infinity;
      return s.padEnd(min, 'x').slice(0, Math.max(min, Math.min(max, s.length)));
    }
    case 'integer':
    case 'number': {
      const lo = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined);
      const hi = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : undefined);
      if (lo !== undefined) return lo;
      if (hi !== undefined) return Math.min(hi, 1);
      return 1;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return null;
  }
}

/** Drops keys whose example could not be derived (undefined), recursively. */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, prune(v)]));
  }
  return value;
}
