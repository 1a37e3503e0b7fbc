/**
 * API fuzzing, property-based (fast-check), from the OpenAPI document the app serves: every
 * operation, any caller (none, a malformed token, a valid token of any role and agency), path and
 * query parameters and bodies generated from the operation's JSON schemas — valid-looking values
 * (the schema's patterns, formats, enums, bounds, and identifiers that exist) and garbage, with
 * mutations (missing required field, wrong type, huge string, deep nesting, extra fields, not JSON,
 * wrong content type), sometimes with an Idempotency-Key (valid or not). Properties: no 5xx, every
 * 4xx is application/problem+json, no success without a valid token where the document requires
 * one, every request answers within its deadline, and no unhandled promise rejection during the
 * run. On the real PostgreSQL and Temporal dev server, with a worker polling the API's task queue
 * (POST /payments and /dossiers/{code}/payments wait for one: update-with-start).
 *
 *   npx jest --selectProjects system -- test/faults/fuzz.test.ts      (or: npm run fuzz)
 *   FUZZ_RUNS=100000 npm run fuzz        the long mode (default 2,000 requests)
 *   FUZZ_SEED=<n>                        another seed (the default is fixed; the seed is printed)
 *   FUZZ_PATH=<path>                     replay the counterexample fast-check reported (with its seed)
 *   FUZZ_COLLECT=1                       do not stop at the first failure: list every distinct one
 *   FUZZ_ONLY=<regex>                    only the operations it matches ("POST /payments/callbacks")
 *   FUZZ_GLOBAL_WRITES=1                 also load calendars and publish policies as operators and
 *                                        admins (off by default: a success changes the deadlines and
 *                                        limits of every suite sharing the database; use it alone)
 *
 * A replay gives the same requests, not always the same answers: identifiers come from the
 * database (codes carry dates) and the state grows as the fuzzer writes.
 */
import { randomBytes } from 'node:crypto';
import vm from 'node:vm';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import type { Knex } from 'knex';
import request from 'supertest';
import { mintToken } from '../../api/auth';
import { paymentStore } from '../../db/payment-store';
import { DEMO_CATALOGUE } from '../../db/seed-catalogue';
import { MAX_YEAR, MIN_YEAR } from '../../domain/calendar';
import { BUILTIN_POLICY } from '../../domain/policies';
import { ROLES, type Role } from '../../domain/roles';
import { startPaymentSimulator, type RunningPaymentSimulator } from '../../infra/payment-simulator';
import { TEST_SECRET, type ApiContext } from '../helpers/api';
import { runningSystem, type RunningSystem } from '../helpers/harness';
import { eventually } from '../helpers/system';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const COLLECT = process.env.FUZZ_COLLECT === '1';
/** Operations whose success changes legal time for everyone: by default never sent by those allowed to. */
const GLOBAL_WRITES = process.env.FUZZ_GLOBAL_WRITES === '1' ? [] : ['PUT /calendar/{year}', 'POST /policies'];
const DEADLINE_MS = 20_000;
const AGENCIES = ['H99.20', 'H99.21', 'H99', 'VPCP'];
/** The fuzzer's own payment provider (a simulator on loopback that pays, then calls back). */
const PROVIDER = `PF${randomBytes(3).toString('hex').toUpperCase()}`;
/** Node's process: a test file's `process` is Jest's copy, whose listeners Node never calls. */
const nodeProcess = vm.runInThisContext('process') as NodeJS.Process;
const log = (line: string) => process.stderr.write(`[fuzz] ${line}\n`);
/** encodeURIComponent, with lone surrogates (which it refuses) as U+FFFD. */
const enc = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/gu, '\ufffd'));

// ---- The OpenAPI document, as far as the generator reads it ----

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  params: Parameter[];
  body?: Schema;
  secured: boolean;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> }; security?: unknown[] }>>;
  components: { schemas: Record<string, Schema> };
}

function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, o] of Object.entries(methods)) {
      ops.push({ method: method as Operation['method'], path, params: o.parameters ?? [], body: o.requestBody?.content['application/json']?.schema, secured: !!o.security?.length });
    }
  }
  return ops;
}

// ---- Identifiers that exist (refreshed from the database as the run goes) ----
// Only the fuzzer's own (its callers are `<role>-fuzz`, its catalogue Z99-): other suites share the
// database, and a fuzzer deciding their tasks or acknowledging their alerts would break them.

type PoolName = 'agency' | 'procedureCode' | 'dossierCode' | 'feedbackCode' | 'taskId' | 'alertId' | 'serviceId' | 'paymentRef' | 'provider' | 'caseType' | 'caseId' | 'sub' | 'outcome' | 'step' | 'attachmentId';
const pools: Record<PoolName, string[]> = {
  agency: [...AGENCIES, 'H99.20.01'],
  procedureCode: [],
  dossierCode: [],
  feedbackCode: [],
  taskId: [],
  alertId: [],
  serviceId: [],
  paymentRef: [],
  provider: [PROVIDER, 'VNPAY', 'NO_SUCH'],
  caseType: ['dossier', 'feedback', 'procedure', 'payment', 'onboarding', 'reconciliation'],
  caseId: [],
  sub: ROLES.map((r) => `${r}-fuzz`),
  outcome: ['approve', 'reject', 'within', 'accept', 'return', 'publish'],
  step: ['classify', 'review', 'submit', 'decide', 'answer'],
  attachmentId: ['1'],
};
const fromPool = (name: PoolName): fc.Arbitrary<string> => fc.nat().map((i) => pools[name][i % Math.max(1, pools[name].length)] ?? name);

/** The fuzzer's own catalogue codes (suites share the database when they run together). */
const CATALOGUE = DEMO_CATALOGUE.map((p) => ({ ...p, record: { ...p.record, code: p.record.code.replace('H99-', 'Z99-') } }));
const PDF_BASE64 = Buffer.from('%PDF-1.4\n%fuzz\n').toString('base64');
const PNG_BASE64 = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64');

const VIET = ['phản', 'ánh', 'kiến', 'nghị', 'hồ', 'sơ', 'thủ', 'tục', 'hành', 'chính', 'người', 'dân', 'đề', 'nghị', 'giải', 'quyết', 'đúng', 'hạn', 'tỉnh', 'Minh', 'Họa', 'số', '12', 'đường', 'Lê', 'Lợi'];
const textArb = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...VIET), { minLength: 1, maxLength: 40 }).map((w) => {
    let t = w.join(' ');
    while (t.length < min) t += ' hồ sơ';
    return t.slice(0, Math.max(min, max));
  });
const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const validDateArb = fc.integer({ min: -800, max: 400 }).map(isoDay);
const validDateTimeArb = fc.integer({ min: -400, max: 400 }).map((d) => new Date(Date.now() + d * 3_600_000).toISOString().replace('Z', '+07:00'));
const dateArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: validDateArb },
  { weight: 1, arbitrary: fc.constantFrom('2025-02-30', '2026-13-01', '0000-00-00', '9999-12-31', '2026-1-1', '20261124', '2026-11-24T00:00:00Z', '1900-01-01', '0000-01-01', '0001-01-01', '') },
);
const dateTimeArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: validDateTimeArb },
  { weight: 1, arbitrary: fc.constantFrom('2026-11-24T10:00:00Z', '2026-11-24T25:00:00+07:00', '2026-11-24', 'yesterday', '1970-01-01T00:00:00+00:00', '275760-09-13T00:00:00Z', '0000-01-01T00:00:00Z', '0000-12-31T23:00:00-01:00', '9999-12-31T23:59:59+14:00') },
);
/** Only loopback URLs: the worker runs conformance probes against what onboardings register. */
const uriArb: fc.Arbitrary<string> = fc.constantFrom('http://127.0.0.1:9/intake', 'https://localhost:1/status', 'http://[::1]:9/cb', 'ftp://127.0.0.1/x', 'not a url', 'http://', 'javascript:alert(1)');

/** Values that exist, by property or parameter name (`clean`: only valid ones). */
function hint(name: string | undefined, path: string, clean: boolean): fc.Arbitrary<unknown> | undefined {
  switch (name) {
    case 'agencyId':
    case 'receivingAgencyId':
    case 'agency':
    case 'implementingAgencyIds':
      return fromPool('agency');
    case 'procedureCode':
    case 'procedureCodes':
      return fromPool('procedureCode');
    case 'code':
      return fromPool(path.includes('/feedback') ? 'feedbackCode' : path.startsWith('/procedures') ? 'procedureCode' : 'dossierCode');
    case 'id':
      if (path.startsWith('/tasks')) return fromPool('taskId');
      if (path.startsWith('/alerts')) return fromPool('alertId');
      if (path.startsWith('/onboardings')) return fromPool('serviceId');
      if (path.startsWith('/cases')) return fromPool('caseId');
      if (path.includes('/attachments/')) return fromPool('attachmentId');
      return undefined;
    case 'taskIds':
      return fromPool('taskId');
    case 'serviceId':
      return fc.oneof(fromPool('serviceId'), fc.stringMatching(/^FUZZ-[A-Z0-9]{4,8}$/));
    case 'reference':
      return fromPool('paymentRef');
    case 'provider':
      return fromPool('provider');
    case 'type':
    case 'caseType':
      return fromPool('caseType');
    case 'caseId':
      return fromPool('caseId');
    case 'assignee':
      return fromPool('sub');
    case 'outcome':
      return fromPool('outcome');
    case 'step':
      return fromPool('step');
    case 'year':
      return clean ? fc.integer({ min: MIN_YEAR, max: MAX_YEAR }) : fc.integer({ min: MIN_YEAR - 2, max: MAX_YEAR + 2 });
    case 'from':
    case 'at':
      // /deadlines and /policies/current take instants; the others take days.
      if (path === '/deadlines' || path === '/policies/current') return clean ? validDateTimeArb : dateTimeArb;
      return clean ? validDateArb : dateArb;
    case 'date':
    case 'to':
    case 'signedOn':
    case 'effectiveOn':
    case 'effectiveFrom':
    case 'plannedGoLive':
    case 'issued':
    case 'replaces':
      return clean ? validDateArb : dateArb;
    case 'version':
    case 'runNo':
      return path.includes('{') ? fc.integer({ min: 0, max: 3 }) : undefined;
    case 'items':
      return fc.array(fc.constantFrom(...CATALOGUE), { minLength: 1, maxLength: 2 });
    case 'record':
      return fc.constantFrom(...CATALOGUE.map((c) => c.record));
    case 'decision':
      return fc.constantFrom(...CATALOGUE.map((c) => c.decision));
    case 'dataBase64':
      return clean ? fc.constantFrom(PDF_BASE64, PNG_BASE64) : fc.constantFrom(PDF_BASE64, PNG_BASE64, '', '====', 'AAAA');
    case 'entries':
      return fc.constantFrom(...Object.keys(BUILTIN_POLICY.entries)).chain((k) => fc.record({ value: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.boolean(), fc.string()), unit: fc.constantFrom('workingDays', 'percent', 'count', 'boolean'), citation: textArb(1, 60) }).map((e) => ({ [k]: e })));
    default:
      return undefined;
  }
}

// ---- JSON Schema → fast-check ----

let components: Record<string, Schema> = {};
const resolve = (s: Schema): Schema => (s.$ref ? resolve(components[s.$ref.split('/').pop()!] ?? {}) : s);

function patternArb(pattern: string): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    return undefined;
  }
}

function stringArb(s: Schema, clean: boolean): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 200, min + 80);
  const p = s.pattern ? patternArb(s.pattern) : undefined;
  if (clean) {
    if (p) return p;
    if (s.format === 'email') return fc.emailAddress();
    if (s.format === 'date') return validDateArb;
    if (s.format === 'date-time') return validDateTimeArb;
    if (s.format === 'uri') return fc.constantFrom('http://127.0.0.1:9/intake', 'https://localhost:1/status');
    return textArb(min, max);
  }
  const options: Array<fc.WeightedArbitrary<string>> = [];
  if (p) options.push({ weight: 5, arbitrary: p });
  if (s.format === 'email') options.push({ weight: 5, arbitrary: fc.oneof(fc.emailAddress(), fc.constantFrom('a@b', 'không phải email', '@', 'x@y.z')) });
  if (s.format === 'date') options.push({ weight: 5, arbitrary: dateArb });
  if (s.format === 'date-time') options.push({ weight: 5, arbitrary: dateTimeArb });
  if (s.format === 'uri') options.push({ weight: 5, arbitrary: uriArb });
  options.push({ weight: 2, arbitrary: textArb(min, max) });
  options.push({ weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: max }) });
  if (s.maxLength !== undefined && s.maxLength <= 20_000) options.push({ weight: 1, arbitrary: fc.constantFrom('ạ'.repeat(s.maxLength), 'x'.repeat(s.maxLength + 1)) });
  if (min > 0) options.push({ weight: 1, arbitrary: fc.constantFrom('', ' '.repeat(min), 'x'.repeat(min - 1)) });
  // What PostgreSQL cannot store: U+0000 in text, a lone surrogate in jsonb.
  options.push({ weight: 1, arbitrary: fc.tuple(textArb(min, max), fc.constantFrom('\u0000', '\ud800', '\udfff')).map(([t, c]) => `${t.slice(0, 3)}${c}${t.slice(3)}`) });
  return fc.oneof(...options);
}

function numberArb(s: Schema, integer: boolean, clean: boolean): fc.Arbitrary<number> {
  const lo = Math.max(s.minimum ?? -1e9, Number.MIN_SAFE_INTEGER);
  const hi = Math.min(s.maximum ?? 1e9, Number.MAX_SAFE_INTEGER);
  const inRange = integer ? fc.integer({ min: lo, max: hi }) : fc.double({ min: lo, max: hi, noNaN: true });
  if (clean) return inRange;
  const edges = [lo, hi, lo - 1, hi + 1, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308].filter(Number.isFinite);
  return fc.oneof({ weight: 4, arbitrary: inRange }, { weight: 1, arbitrary: fc.constantFrom(...edges) });
}

function fromSchema(raw: Schema, name: string | undefined, path: string, depth: number, clean: boolean): fc.Arbitrary<unknown> {
  const s = resolve(raw);
  const base = schemaArb(s, name, path, depth, clean);
  const h = hint(name, path, clean);
  if (!h) return base;
  // A hint for a list names what goes in it: the schema gives the list, the hint its items.
  if (s.type === 'array' && name !== 'items') return fc.oneof({ weight: 3, arbitrary: fc.array(h, { minLength: s.minItems ?? 1, maxLength: Math.max(s.minItems ?? 1, 3) }) }, { weight: 2, arbitrary: base });
  return fc.oneof({ weight: 3, arbitrary: h }, { weight: 2, arbitrary: base });
}

function schemaArb(s: Schema, name: string | undefined, path: string, depth: number, clean: boolean): fc.Arbitrary<unknown> {
  const from = (sub: Schema, subName = name) => fromSchema(sub, subName, path, depth + 1, clean);
  if (depth > 8) return fc.constant(null);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => from(a)));
  if (s.allOf?.length) return from(s.allOf[0]!);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return clean ? fc.constantFrom(...s.enum) : fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...s.enum) }, { weight: 1, arbitrary: fc.constantFrom('NOT-IN-ENUM', '', 'ÁÉ') });
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((t) => schemaArb({ ...s, type: t }, name, path, depth, clean)));
  switch (s.type) {
    case 'string':
      return stringArb(s, clean);
    case 'integer':
      return numberArb(s, true, clean);
    case 'number':
      return numberArb(s, false, clean);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(from(s.items ?? {}), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, (s.minItems ?? 0) + 4) });
    case 'object': {
      const props = s.properties ?? {};
      const keys = Object.keys(props);
      if (!keys.length && s.additionalProperties && typeof s.additionalProperties === 'object') {
        return fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), from(s.additionalProperties), { maxKeys: 4 });
      }
      const model = Object.fromEntries(keys.map((k) => [k, from(props[k]!, k)]));
      return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => keys.includes(k)) });
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

// ---- Mutations and transports ----

type Mutation =
  | { kind: 'none' }
  | { kind: 'drop' | 'huge' | 'deep'; pick: number; size: number }
  | { kind: 'wrongType' | 'extra'; pick: number; value: unknown; key: string }
  | { kind: 'poison'; pick: number; text: string }
  | { kind: 'root'; value: unknown };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('drop' as const), pick: fc.nat(), size: fc.constant(0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('huge' as const), pick: fc.nat(), size: fc.constantFrom(10_000, 100_000, 300_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('deep' as const), pick: fc.nat(), size: fc.constantFrom(50, 1000, 3000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('wrongType' as const), pick: fc.nat(), key: fc.constant(''), value: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string(), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }), fc.double({ noNaN: true, noDefaultInfinity: true })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('extra' as const), pick: fc.nat(), key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', 'id', 'status'), fc.string({ maxLength: 10 })), value: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('root' as const), value: fc.constantFrom(null, [], 'chuỗi', 42, true, [{}], {}) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('poison' as const), pick: fc.nat(), text: fc.constantFrom('\u0000', '\ud800', '\udc00x', 'ạ'.repeat(5000), '   ', '\u202e', '😀'.repeat(50), "'; drop table dossiers; --", '${7*7}', '../../etc/passwd') }) },
);

/** Every place in a JSON value: [parent, key] pairs. */
function places(v: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []) {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(Array.isArray(v) ? [v, Number(k)] : [v as Record<string, unknown>, k]);
      places(x, out);
    }
  }
  return out;
}

function mutate(body: unknown, m: Mutation): unknown {
  if (m.kind === 'none') return body;
  if (m.kind === 'root') return m.value;
  const copy: unknown = body === undefined ? {} : structuredClone(body);
  const all = places(copy);
  const objects = all.filter(([parent]) => !Array.isArray(parent));
  const set = (value: unknown) => {
    const [parent, key] = all[m.pick % Math.max(1, all.length)] ?? [copy as Record<string, unknown>, 'x'];
    (parent as Record<string | number, unknown>)[key] = value;
  };
  switch (m.kind) {
    case 'drop': {
      const [parent, key] = objects[m.pick % Math.max(1, objects.length)] ?? [];
      if (parent) delete (parent as Record<string, unknown>)[key as string];
      return copy;
    }
    case 'huge':
      set('ạ'.repeat(m.size));
      return copy;
    case 'deep': {
      let nested: unknown = 'đáy';
      for (let i = 0; i < m.size; i++) nested = i % 2 ? [nested] : { a: nested };
      set(nested);
      return copy;
    }
    case 'wrongType':
      set(m.value);
      return copy;
    case 'poison': {
      const strings = all.filter(([parent, key]) => typeof (parent as Record<string | number, unknown>)[key] === 'string');
      const [parent, key] = strings[m.pick % Math.max(1, strings.length)] ?? [];
      if (parent) (parent as Record<string | number, unknown>)[key!] += m.text;
      return copy;
    }
    case 'extra': {
      const [parent] = objects[m.pick % Math.max(1, objects.length)] ?? [copy];
      if (parent && typeof parent === 'object') Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      return copy;
    }
  }
}

type Transport = { kind: 'json' } | { kind: 'none' } | { kind: 'raw'; contentType: string; text: string; encoding?: string };
const transportArb: fc.Arbitrary<Transport> = fc.oneof(
  { weight: 16, arbitrary: fc.constant({ kind: 'json' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', 'application/xml', 'application/merge-patch+json', ''),
      text: fc.oneof(fc.constantFrom('{', '{"a":', "{'a':1}", '\u0000', '', 'null', '[]', '"chuỗi"', '1e999', 'a=1&b=2', '<x/>', '{"__proto__":{"admin":true}}', '\uFEFF{}', '{"a":"\\u0000"}', `${'['.repeat(60_000)}${']'.repeat(60_000)}`, `${'{"a":'.repeat(30_000)}1${'}'.repeat(30_000)}`), fc.json(), fc.string({ unit: 'binary', maxLength: 200 })),
      encoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus'), { nil: undefined }),
    }),
  },
);

// ---- Callers, path segments, queries, headers ----

type Caller = { kind: 'none' } | { kind: 'malformed'; index: number } | { kind: 'token'; role: Role; agencyId?: string; sub: string };
const callerArb: fc.Arbitrary<Caller> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('malformed' as const), index: fc.nat() }) },
  {
    weight: 10,
    arbitrary: fc.record(
      { kind: fc.constant('token' as const), role: fc.constantFrom(...ROLES), agencyId: fc.constantFrom(...AGENCIES), sub: fc.oneof(fromPool('sub'), fc.constant('citizen-fuzz')) },
      { requiredKeys: ['kind', 'role', 'sub'] },
    ),
  },
);
let malformed: string[] = [];
const tokens = new Map<string, Promise<string>>();
async function authorization(c: Caller): Promise<string | undefined> {
  if (c.kind === 'none') return undefined;
  if (c.kind === 'malformed') return malformed[c.index % malformed.length];
  const key = `${c.role} ${c.agencyId} ${c.sub}`;
  if (!tokens.has(key)) tokens.set(key, mintToken(TEST_SECRET, { sub: c.sub, role: c.role, agencyId: c.agencyId }));
  return `Bearer ${await tokens.get(key)!}`;
}

/** Already percent-encoded path segments that are not what the route wants. */
const garbageSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '.', '..', '%2e%2e', '..%2F..%2Fetc%2Fpasswd', '%00', '%zz', '%', '%E0%A4%A', '%C0%AE', 'A'.repeat(2000), '%20', '+', ';', 'null', 'undefined', '-1', '0', '1e400', '9'.repeat(40), "'%20OR%201=1--", '%3Cscript%3E', '%F0%9F%92%A9'),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((v) => enc(v)),
);

function segmentArb(p: Parameter, path: string, clean: boolean): fc.Arbitrary<string> {
  // Alert numbers are small integers that the schema's pattern hits: only the fuzzer's own are acknowledged.
  const good = (path.startsWith('/alerts/') ? fromPool('alertId') : fromSchema(p.schema ?? { type: 'string' }, p.name, path, 0, clean)).map((v) => enc(String(v)));
  return clean ? good : fc.oneof({ weight: 6, arbitrary: good }, { weight: 2, arbitrary: garbageSegment });
}

const garbageQueryValue: fc.Arbitrary<string | string[]> = fc.oneof(
  fc.constantFrom('', 'NaN', '-1', '1e309', '0x10', 'true', '[]', '{}', 'ạ'.repeat(500), '%zz', '\u0000'),
  fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

function queryValue(v: unknown): string | string[] {
  if (Array.isArray(v)) return v.map((x) => String(x)).join(',');
  if (v && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function queryArb(op: Operation, clean: boolean): fc.Arbitrary<Array<[string, string | string[]]>> {
  const params = op.params.filter((p) => p.in === 'query');
  const one = (p: Parameter) =>
    fc.oneof(
      { weight: p.required ? (clean ? 0 : 1) : 3, arbitrary: fc.constant(undefined) },
      { weight: 6, arbitrary: fromSchema(p.schema ?? {}, p.name, op.path, 0, clean).map(queryValue) },
      { weight: clean ? 0 : 2, arbitrary: garbageQueryValue },
    );
  const extra = clean ? fc.constant(undefined) : fc.option(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'x', 'limit[]', 'a[b]'), garbageQueryValue), { freq: 8, nil: undefined });
  return fc.tuple(fc.tuple(...params.map(one)), extra).map(([values, ex]) => {
    const pairs: Array<[string, string | string[]]> = [];
    params.forEach((p, i) => {
      if (values[i] !== undefined) pairs.push([p.name, values[i]]);
    });
    if (ex) pairs.push(ex);
    return pairs;
  });
}

const headersArb: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      idem: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.stringMatching(/^[\w.:-]{8,60}$/) }, { weight: 1, arbitrary: fc.constantFrom('short', 'has spaces in it', 'x'.repeat(201), 'é'.repeat(10), '', 'fuzz-key-fixed-0001') }),
      requestId: fc.option(fc.constantFrom('ok-id', 'bad id with spaces', 'x'.repeat(300)), { freq: 6, nil: undefined }),
      provider: fc.option(fc.record({ timestamp: fc.oneof(fc.nat().map(String), fc.constantFrom('', 'now', String(Math.floor(Date.now() / 1000)))), nonce: fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')), signature: fc.stringMatching(/^[0-9a-f]{0,70}$/) }), { freq: 3, nil: undefined }),
    },
    { requiredKeys: [] },
  )
  .map((h) => {
    const out: Record<string, string> = {};
    if (h.idem !== undefined) out['Idempotency-Key'] = h.idem;
    if (h.requestId) out['X-Request-Id'] = h.requestId;
    if (h.provider) Object.assign(out, { 'X-Provider-Timestamp': h.provider.timestamp, 'X-Provider-Nonce': h.provider.nonce, 'X-Provider-Signature': h.provider.signature });
    return out;
  });

// ---- One generated request ----

interface FuzzRequest {
  op: string;
  /** The operation requires a bearer token. */
  secured: boolean;
  method: Operation['method'];
  url: string;
  caller: Caller;
  headers: Record<string, string>;
  transport: Transport;
  body: unknown;
}

const clip = (s: string, n = 600) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
function show(r: FuzzRequest): string {
  const who = r.caller.kind === 'token' ? `${r.caller.role}${r.caller.agencyId ? `@${r.caller.agencyId}` : ''} (${r.caller.sub})` : r.caller.kind === 'malformed' ? `malformed: ${clip(malformed[r.caller.index % malformed.length] ?? '', 80)}` : 'no token';
  const body = r.transport.kind === 'raw' ? `raw ${JSON.stringify(r.transport.contentType)}${r.transport.encoding ? ` ${r.transport.encoding}` : ''}: ${clip(JSON.stringify(r.transport.text))}` : r.transport.kind === 'none' ? 'none' : clip(JSON.stringify(r.body) ?? 'undefined');
  return `${r.method.toUpperCase()} ${clip(r.url, 300)}\n  caller: ${who}\n  headers: ${clip(JSON.stringify(r.headers), 300)}\n  body: ${body}`;
}

/** Valid bodies of the operations that random generation seldom gets right, to mutate from. */
const examples: Record<string, unknown[]> = {};

function requestArb(ops: Operation[]): fc.Arbitrary<FuzzRequest> {
  const perOp = ops.map((op) => {
    const segments = op.params.filter((p) => p.in === 'path');
    const name = `${op.method.toUpperCase()} ${op.path}`;
    const bodyArb = (clean: boolean) => {
      const generated = op.body ? fromSchema(op.body, undefined, op.path, 0, clean) : clean ? fc.constant(undefined) : fc.option(fc.jsonValue({ maxDepth: 2 }), { freq: 4, nil: undefined });
      return examples[name]?.length ? fc.oneof({ weight: 2, arbitrary: generated }, { weight: 1, arbitrary: fc.constantFrom(...examples[name]) }) : generated;
    };
    const global = GLOBAL_WRITES.includes(name);
    const callers = global ? callerArb.filter((c) => c.kind !== 'token' || (c.role !== 'operator' && c.role !== 'admin')) : callerArb;
    // Clean requests (a token, JSON, no garbage or mutation) get past validation; the others test it.
    const build = (clean: boolean) =>
      fc.record({
        segments: fc.tuple(...segments.map((p) => segmentArb(p, op.path, clean))),
        query: queryArb(op, clean),
        caller: clean ? callers.filter((c) => c.kind === 'token') : callers,
        headers: headersArb,
        transport: clean ? fc.constant({ kind: 'json' as const }) : transportArb,
        body: bodyArb(clean),
        mutation: op.body && !clean ? mutationArb : fc.constant({ kind: 'none' as const }),
      });
    return fc
      .oneof(build(true), build(false))
      .map(({ segments: values, query, caller, headers, transport, body: b, mutation }): FuzzRequest => {
        let url = op.path;
        segments.forEach((p, i) => (url = url.replace(`{${p.name}}`, values[i]!)));
        const qs = query.flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${enc(k)}=${x === '%zz' ? x : enc(x)}`));
        if (qs.length) url += `?${qs.join('&')}`;
        const r: FuzzRequest = { op: name, secured: op.secured, method: op.method, url, caller, headers, transport, body: mutate(b, mutation) };
        return Object.assign(r, { [fc.toStringMethod]: () => show(r) });
      });
  });
  return fc.oneof(...perOp);
}

// ---- Sending ----

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

let baseUrl = '';
async function send(r: FuzzRequest): Promise<Answer> {
  let t = request(baseUrl)[r.method](r.url).timeout({ deadline: DEADLINE_MS }).ok(() => true);
  const auth = await authorization(r.caller);
  if (auth !== undefined) t = t.set('Authorization', auth);
  for (const [k, v] of Object.entries(r.headers)) t = t.set(k, v);
  if (r.transport.kind === 'raw') {
    t = t.set('Content-Type', r.transport.contentType);
    if (r.transport.encoding) t = t.set('Content-Encoding', r.transport.encoding);
    t = t.send(r.transport.text);
  } else if (r.transport.kind === 'json' && r.body !== undefined) {
    t = t.set('Content-Type', 'application/json').send(JSON.stringify(r.body));
  }
  const res = await t;
  return { status: res.status, contentType: String(res.headers['content-type'] ?? ''), text: res.text ?? '' };
}

/** Undefined when the answer is acceptable; otherwise what is wrong with it. */
function verdict(r: FuzzRequest, a: Answer): string | undefined {
  if (a.status >= 500) return `answered ${a.status}`;
  if (r.secured && r.caller.kind !== 'token' && a.status < 400) return `answered ${a.status} to a caller without a valid token`;
  if (a.status >= 400 && !/^application\/problem\+json/.test(a.contentType)) return `answered ${a.status} as ${a.contentType || 'no content type'}, not application/problem+json`;
  return undefined;
}

// ---- The run ----

describe('API fuzzing from the OpenAPI document', () => {
  let running: RunningSystem;
  let api: ApiContext;
  let sim: RunningPaymentSimulator;
  const rejections: Array<{ reason: string; after: string }> = [];
  let last = '(none yet)';
  const onRejection = (reason: unknown) => rejections.push({ reason: (reason as Error)?.stack ?? String(reason), after: last });

  async function refreshPools(): Promise<void> {
    const db = api.db;
    const own = '%-fuzz';
    const [procedures, dossiers, feedback, services, payments] = await Promise.all([
      db('procedure_versions').where('entered_by', 'like', own).orWhere('code', 'like', 'Z99-%').distinct('code').limit(50).pluck('code'),
      db('dossiers').where('owner_sub', 'like', own).orderBy('received_at', 'desc').limit(30).pluck('code'),
      db('feedback').where('submitted_by', 'like', own).orderBy('received_at', 'desc').limit(30).pluck('code'),
      db('online_services').where('registered_by', 'like', own).limit(30).pluck('service_id'),
      db('payments').where('payer_sub', 'like', own).limit(30).pluck('reference'),
    ]);
    const ownCase = (column: string) => (q: Knex.QueryBuilder) => q.whereIn(column, [...dossiers, ...feedback, ...services, ...payments]).orWhereRaw("split_part(??, '@', 1) = any(?)", [column, procedures]);
    const [tasks, alerts, attachments, cases] = await Promise.all([
      db('tasks').where(ownCase('case_id')).orderBy('created_at', 'desc').limit(60).select('id', 'step', 'outcomes'),
      db('alerts').where(ownCase('case_id')).orderBy('id', 'desc').limit(30).pluck('id'),
      db('feedback_attachments').whereIn('code', feedback).limit(30).pluck('id'),
      db('audit_events').where(ownCase('case_id')).distinct('case_type', 'case_id').limit(80) as Promise<Array<{ case_type: string; case_id: string }>>,
    ]);
    Object.assign(pools, {
      procedureCode: [...procedures, 'NO-SUCH-CODE'],
      dossierCode: [...dossiers, 'H99.20-261124-0001'],
      feedbackCode: [...feedback, 'PAKN.20261124.0001'],
      taskId: [...tasks.map((t: { id: string }) => t.id), 'no:such:task'],
      alertId: [...alerts.map(String), '999999999'],
      serviceId: [...services, 'NO-SUCH-SERVICE'],
      paymentRef: [...payments, 'PAY20261124000000AAAAAA'],
      caseId: [...cases.map((c) => c.case_id), 'none'],
      caseType: [...new Set([...cases.map((c) => c.case_type), 'dossier', 'feedback', 'nosuchtype'])],
      attachmentId: [...attachments.map(String), '0'],
      step: [...new Set([...tasks.map((t: { step: string }) => t.step), 'classify'])],
      outcome: [...new Set([...tasks.flatMap((t: { outcomes: string[] }) => t.outcomes ?? []), 'approve'])],
    });
  }

  beforeAll(async () => {
    nodeProcess.on('unhandledRejection', onRejection);
    running = await runningSystem({}, { listen: true });
    ({ api } = running);
    baseUrl = running.apiUrl!;
    sim = await startPaymentSimulator({ providers: [{ id: PROVIDER, name: 'Ngân hàng thử (fuzz)', kind: 'bank', secret: `fuzz-secret-${PROVIDER}`, format: 'csv' }] });
    await paymentStore(api.db).upsertProviders(sim.providerRows());

    const now = Math.floor(Date.now() / 1000);
    const key = new TextEncoder().encode(TEST_SECRET);
    const sign = (claims: Record<string, unknown>, exp = now + 3600) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now).setExpirationTime(exp).sign(key);
    malformed = [
      'Bearer',
      'Bearer ',
      'Bearer abc',
      'Basic dXNlcjpwYXNz',
      'Bearer a.b.c',
      'bearer  x y',
      `Bearer ${'A'.repeat(4000)}`,
      `Bearer ${await mintToken('not-the-server-secret-but-long-enough-xxxxx', { sub: 'x', role: 'admin' })}`,
      `Bearer ${await sign({ sub: 'expired', role: 'admin' }, now - 60)}`,
      `Bearer ${await sign({ sub: 'root', role: 'root' })}`,
      `Bearer ${await sign({ role: 'admin' })}`,
      `Bearer ${await sign({ sub: 'officer-without-agency', role: 'officer' })}`,
      `Bearer ${await sign({ sub: 42, role: 'citizen' })}`,
      `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","role":"admin"}').toString('base64url')}.`,
    ];

    // Something to find: a catalogue in force, a feedback case and a dossier with their tasks.
    const auth = async (role: Role, agencyId?: string, sub?: string) => `Bearer ${await api.token(role, agencyId, sub)}`;
    const app = api.app.app;
    await request(app).post('/procedures/import').set('Authorization', await auth('operator', 'VPCP', 'operator-fuzz')).send({ format: 'json', items: CATALOGUE }).expect(200);
    const code = CATALOGUE[0]!.record.code;
    await eventually(() => request(app).get(`/procedures/${code}`), (r) => r.status === 200, `${code} in force`);
    const dossier = { procedureCode: code, agencyId: 'H99.20', documents: ['Tờ khai'], applicant: { fullName: 'Người Thử', address: 'Số 1 phố Minh Họa', phone: '0912345678' } };
    const feedback = { title: 'Phản ánh để thử', content: 'Phản ánh về việc tiếp nhận hồ sơ chậm trễ tại bộ phận một cửa.', receivingAgencyId: 'H99.20', attachments: [{ fileName: 'a.pdf', contentType: 'application/pdf', dataBase64: PDF_BASE64 }], submitter: { fullName: 'Người Thử', address: 'Số 1 phố Minh Họa', phone: '0912345678', email: 'fuzz@nguoidan.motcua.local' } };
    const citizen = await auth('citizen', undefined, 'citizen-fuzz');
    await request(app).post('/feedback').set('Authorization', citizen).send(feedback).expect(201);
    await request(app).post('/dossiers').set('Authorization', citizen).send(dossier).expect(201);
    const decision = { number: '99/QĐ-UBND', signedOn: isoDay(0), effectiveOn: isoDay(0) };
    const endpoints = { statusSyncUrl: 'http://127.0.0.1:9/status', intakeUrl: 'http://127.0.0.1:9/intake', paymentCallbackUrl: 'http://127.0.0.1:9/callback' };
    Object.assign(examples, {
      'POST /dossiers': [dossier, { ...dossier, channel: 'counter', paper: true, returnMethod: 'post' }],
      'POST /feedback': [feedback, { ...feedback, attachments: undefined, channel: 'phone' }],
      'POST /procedures': CATALOGUE.map((c, i) => ({ record: { ...c.record, code: `Z98-FZ-${i}` }, decision })),
      'PUT /procedures/{code}/versions/{version}': CATALOGUE.map((c) => ({ record: c.record, decision })),
      'POST /procedures/import': [{ format: 'json', items: CATALOGUE.map((c, i) => ({ ...c, record: { ...c.record, code: `Z97-FZ-${i}` } })) }, { format: 'csv', csv: 'code,name\nZ96-FZ-1,Thủ tục' }],
      'POST /procedures/{code}/withdraw': [{ number: '100/QĐ-UBND', signedOn: isoDay(0), effectiveOn: isoDay(30), reason: 'Bãi bỏ theo luật mới' }],
      'POST /onboardings': [{ serviceId: 'FUZZ-SVC-1', name: 'Dịch vụ công thử', serviceType: 'dossier_service', agencyId: 'H99.20', procedureCodes: [code], targetLevel: 'partial', endpoints, requireTls: false, callbackSecret: 'fuzz-secret-0123456789', contacts: [{ name: 'Người Thử', email: 'fuzz@coquan.motcua.local' }], plannedGoLive: isoDay(30) }],
      'POST /payments': [{ provider: PROVIDER, agencyId: 'H99.20', transactionType: 'G22.99.02', amountVnd: 50_000, description: 'Phí thử nghiệm' }],
      'POST /policies': [{ version: 'fuzz-1', effectiveFrom: '2099-01-01', title: 'Chính sách thử', entries: { 'feedback.transfer': BUILTIN_POLICY.entries['feedback.transfer'] } }],
      'PUT /calendar/{year}': [{ reason: 'thử', sources: [{ id: 'fuzz', title: 'Thông báo nghỉ lễ', issuer: 'Bộ Nội vụ', issued: '2069-01-01' }], daysOff: [], workedSaturdays: [] }],
      'POST /dossiers/{code}/payments': [{ provider: PROVIDER }],
      'POST /payments/{reference}/refund': [{ reason: 'Nộp nhầm, hoàn tiền' }],
      'POST /tasks/bulk': [{ action: 'claim', taskIds: ['no:such:task'] }, { action: 'reassign', taskIds: ['no:such:task'], assignee: null }],
    });
    await eventually(() => api.db('tasks').count<Array<{ count: string }>>('* as count'), (r) => Number(r[0]!.count) >= 2, 'the first tasks');
    await refreshPools();
  }, 120_000);

  afterAll(async () => {
    nodeProcess.off('unhandledRejection', onRejection);
    await running?.close();
    await sim?.stop();
  });

  it(
    `${RUNS} generated requests: no 5xx, 4xx as problem+json, no 2xx without a token where one is required, every answer in time, no unhandled rejection`,
    async () => {
      const doc = (await request(api.app.app).get('/openapi.json').expect(200)).body as OpenApiDoc;
      components = doc.components.schemas;
      const all = operationsOf(doc);
      expect(all.length).toBeGreaterThan(50);
      const only = process.env.FUZZ_ONLY ? new RegExp(process.env.FUZZ_ONLY) : undefined;
      const ops = only ? all.filter((o) => only.test(`${o.method.toUpperCase()} ${o.path}`)) : all;
      log(`${ops.length} operations; seed ${SEED} (FUZZ_SEED), ${RUNS} requests (FUZZ_RUNS)`);

      const byClass: Record<string, number> = {};
      const okByOp = new Map<string, number>();
      const failures = new Map<string, { request: string; answer: string }>();
      let sent = 0;
      const started = performance.now();
      // Diagnostics for stalls: the event loop's delay, and every request slower than 5 s with the
      // five requests sent before it (the one that caused a stall is usually not the one that timed out).
      const loopDelay = monitorEventLoopDelay({ resolution: 20 });
      loopDelay.enable();
      const recent: string[] = [];
      const slow: Array<{ request: string; ms: number; before: string[] }> = [];
      const property = fc.asyncProperty(requestArb(ops), async (r) => {
        if (++sent % 200 === 0) await refreshPools();
        last = show(r);
        let answer: Answer;
        const t0 = performance.now();
        try {
          answer = await send(r);
        } catch (err) {
          answer = { status: 0, contentType: '', text: `no answer: ${(err as Error).message}` };
        }
        const ms = performance.now() - t0;
        if (ms > 5000 && slow.length < 5) slow.push({ request: `#${sent} ${clip(last, 300)}`, ms: Math.round(ms), before: [...recent] });
        recent.push(`#${sent} ${Math.round(ms)} ms ${answer.status} ${clip(last, 300)}`);
        if (recent.length > 5) recent.shift();
        const cls = answer.status ? `${Math.floor(answer.status / 100)}xx` : 'no answer';
        byClass[cls] = (byClass[cls] ?? 0) + 1;
        if (answer.status >= 200 && answer.status < 300) okByOp.set(r.op, (okByOp.get(r.op) ?? 0) + 1);
        const wrong = answer.status ? verdict(r, answer) : answer.text;
        if (!wrong) return;
        const report = { request: show(r), answer: `${wrong}\n  response: ${clip(answer.text, 1500)}` };
        failures.set(`${r.op} ${answer.status}`, report);
        if (!COLLECT) throw new Error(`${report.answer}\n${report.request}`);
      });
      const result = await fc.check(property, { seed: SEED, numRuns: RUNS, path: process.env.FUZZ_PATH, endOnFailure: false });

      loopDelay.disable();
      log(`event loop delay: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`);
      for (const x of slow) log(`slow (${x.ms} ms): ${x.request}\n  after:\n    ${x.before.join('\n    ')}`);
      const seconds = (performance.now() - started) / 1000;
      log(`${sent} requests in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(1)}/s): ${Object.entries(byClass).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
      log(`operations answered 2xx at least once: ${okByOp.size}/${ops.length}; never: ${ops.map((o) => `${o.method.toUpperCase()} ${o.path}`).filter((o) => !okByOp.has(o)).join(', ')}`);
      if (rejections.length) log(`unhandled rejections:\n${rejections.map((x) => `${x.reason}\n  after: ${x.after}`).join('\n')}`);
      if (failures.size) log(`failures:\n${[...failures.entries()].map(([k, f]) => `- ${k}\n  ${f.answer}\n  ${f.request}`).join('\n')}`);
      if (result.failed) {
        const error = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        throw new Error(`${error}\n\n${fc.defaultReportMessage(result) ?? ''}\nReplay: FUZZ_SEED=${result.seed} FUZZ_PATH=${result.counterexamplePath ?? ''}${process.env.FUZZ_ONLY ? ` FUZZ_ONLY='${process.env.FUZZ_ONLY}'` : ''}`);
      }
      expect([...failures.keys()]).toEqual([]);
      expect(rejections).toEqual([]);
    },
    Math.max(600_000, RUNS * 300),
  );
});
