// JSON Schema (as served in the OpenAPI document) → fast-check arbitraries: values that satisfy the
// schema, and values that are "nearly" right (one field of the wrong type, an out-of-range number,
// an overlong string, an unknown property) — the inputs most likely to slip past validation.
import fc from 'fast-check';

export type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minProperties?: number;
  maxProperties?: number;
};

// Big strings are cheap to send and what an attacker sends first; keep them bounded all the same.
const MAX_GENERATED_LENGTH = 300;

/** Any JSON value, including deep and odd ones (prototype keys, huge numbers, control characters). */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('__proto__', 'constructor', '', '\u0000', '../../etc/passwd', "'; drop table sessions; --", '9'.repeat(40)),
  fc.constantFrom(-1, 0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, 0.5),
  fc.constant({ __proto__: { polluted: true } }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}}')),
);

function stringFor(s: Schema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.min(s.maxLength ?? 40, Math.max(minLength, MAX_GENERATED_LENGTH));
  if (s.format === 'date-time') {
    return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  }
  if (s.format === 'uri' || s.format === 'url') return fc.webUrl();
  if (s.format === 'email') return fc.emailAddress();
  if (s.format === 'uuid') return fc.uuid();
  if (s.pattern) {
    return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= minLength && v.length <= (s.maxLength ?? Infinity));
  }
  return fc.oneof(...(['grapheme-ascii', 'grapheme', 'binary'] as const).map((unit) => fc.string({ minLength, maxLength, unit })));
}

function numberFor(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (integer ? 1 : 1e-6) : -1e9);
  const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - (integer ? 1 : 1e-6) : 1e9);
  return integer ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/** Values that satisfy `s` (as far as this generator understands it). */
export function validFor(s: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!s || Object.keys(s).length === 0) return anyJson;
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => validFor(a, depth + 1)));
  if (s.allOf) return validFor(Object.assign({}, ...s.allOf), depth + 1);
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : s.properties ? ['object'] : [];
  if (types.length > 1) return fc.oneof(...types.map((t) => validFor({ ...s, type: t }, depth + 1)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return numberFor(s, true);
    case 'number':
      return numberFor(s, false);
    case 'string':
      return stringFor(s);
    case 'array':
      return fc.array(validFor(s.items, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 4, 8) });
    case 'object': {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const arbs: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) arbs[k] = validFor(v, depth + 1);
      const requiredKeys = Object.keys(props).filter((k) => required.has(k));
      let obj = fc.record(arbs, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>;
      if (s.minProperties && Object.keys(props).length > 0) obj = obj.filter((o) => Object.keys(o).length >= s.minProperties!);
      return obj;
    }
    default:
      return anyJson;
  }
}

/** A value that is `s` with one thing wrong, or something else entirely. */
export function nearlyFor(s: Schema | undefined): fc.Arbitrary<unknown> {
  const props = s?.properties;
  const mutations: fc.Arbitrary<unknown>[] = [anyJson];
  if (props && Object.keys(props).length > 0) {
    const base = validFor(s) as fc.Arbitrary<Record<string, unknown>>;
    mutations.push(
      // one property replaced by any JSON value
      fc.tuple(base, fc.constantFrom(...Object.keys(props)), anyJson).map(([o, k, v]) => ({ ...o, [k]: v })),
      // one property dropped
      fc.tuple(base, fc.constantFrom(...Object.keys(props))).map(([o, k]) => {
        const copy = { ...o };
        delete copy[k];
        return copy;
      }),
      // an unknown property
      fc.tuple(base, fc.string({ minLength: 1, maxLength: 10 }), anyJson).map(([o, k, v]) => ({ ...o, [k]: v })),
      // a string property far too long
      fc.tuple(base, fc.constantFrom(...Object.keys(props))).map(([o, k]) => ({ ...o, [k]: 'x'.repeat(5000) })),
    );
  }
  return fc.oneof(...mutations);
}

/** A query-string or path value: the schema's own values, or any short string. */
export function paramFor(s: Schema | undefined): fc.Arbitrary<string> {
  const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  return fc.oneof(
    { weight: 3, arbitrary: validFor(s).map(asText) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom('0', '-1', '99999999999999999999', '1e3', 'null', '%00', '..', 'a'.repeat(300)) },
  );
}
