/**
 * One place that both documents and serves a route: the zod schemas given here validate the
 * request (400 with field errors) and are registered in the OpenAPI document.
 */
import type { RequestHandler, Router, Request, Response } from 'express';
import { z } from 'zod';
import { extendZodWithOpenApi, OpenAPIRegistry, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { HttpError, InputError, UnauthorizedError, type FieldError } from './errors';

extendZodWithOpenApi(z);
export { z };

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  path: string;
  summary: string;
  tags: string[];
  /** `true`: a bearer token is required. */
  auth: boolean;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler: (
    input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B>; req: Request; res: Response },
  ) => Promise<unknown> | unknown;
  /** Status of a successful answer (default 200; a handler may set `res.locals.status`). */
  status?: number;
  middleware?: RequestHandler[];
}

export function fieldErrors(error: z.ZodError, prefix: string): FieldError[] {
  return error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].join('.'), message: i.message }));
}

/**
 * Where the input holds a string (or object key) PostgreSQL cannot store: U+0000 (text and jsonb)
 * or an unpaired surrogate (jsonb; JSON escapes such as "\ud800" let one in).
 */
function unstorableAt(value: unknown): string[] | undefined {
  const lone = /[\ud800-\udfff]/u; // with `u`, the range matches only surrogates that are not paired
  const bad = (s: string) => s.includes('\u0000') || lone.test(s);
  // No recursion and no path copies: a body may nest deeper than the call stack.
  interface Node { value: unknown; key?: string; parent?: Node }
  const pathOf = (n: Node): string[] => {
    const path: string[] = [];
    for (let at: Node | undefined = n; at?.parent; at = at.parent) path.push(at.key!);
    return path.reverse();
  };
  const stack: Node[] = [{ value }];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (typeof n.value === 'string' && bad(n.value)) return pathOf(n);
    if (typeof n.value !== 'object' || n.value === null) continue;
    for (const [key, child] of Object.entries(n.value)) {
      if (bad(key)) return [...pathOf(n), key];
      stack.push({ value: child, key, parent: n });
    }
  }
  return undefined;
}

function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): z.infer<T> {
  if (!schema) return undefined as z.infer<T>;
  const unstorable = unstorableAt(value);
  if (unstorable) throw new InputError(`The request ${where} is not valid.`, [{ path: [where, ...unstorable].join('.'), message: 'must not contain U+0000 or an unpaired surrogate' }]);
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(`The request ${where} is not valid.`, fieldErrors(result.error, where));
  return result.data;
}

/** The request's Idempotency-Key header, if any (400 when malformed). */
export function idempotencyKey(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key !== undefined && !/^[\w.\-:]{8,200}$/.test(key)) throw new InputError('Idempotency-Key must be 8–200 letters, digits, ., -, _ or :.', [{ path: 'header.idempotency-key', message: 'invalid' }]);
  return key;
}

export class Api {
  readonly registry = new OpenAPIRegistry();

  constructor() {
    this.registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  }

  route<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
    router: Router,
    spec: RouteSpec<P, Q, B>,
  ): void {
    const responses: Record<string, ResponseConfig> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = r.schema
        ? { description: r.description, content: { [r.contentType ?? 'application/json']: { schema: r.schema } } }
        : { description: r.description };
    }
    for (const [status, description] of [
      ['400', 'Invalid request'],
      ...(spec.auth ? [['401', 'Missing or invalid token'], ['403', 'Not allowed']] : []),
    ] as const) {
      responses[status] ??= { description, content: { 'application/problem+json': { schema: ProblemSchema } } };
    }
    this.registry.registerPath({
      method: spec.method,
      path: spec.path.replace(/:(\w+)/g, '{$1}'),
      summary: spec.summary,
      tags: spec.tags,
      security: spec.auth ? [{ bearer: [] }] : undefined,
      request: {
        params: spec.params as never,
        query: spec.query as never,
        body: spec.body ? { content: { 'application/json': { schema: spec.body } } } : undefined,
      },
      responses,
    });
    const handler: RequestHandler = async (req, res) => {
      if (spec.auth && !req.user) throw new UnauthorizedError();
      const params = parse(spec.params, req.params, 'params');
      const query = parse(spec.query, req.query, 'query');
      if (spec.body && !req.is('application/json')) {
        throw new HttpError(415, 'Unsupported media type', 'The request body must be application/json.');
      }
      const body = parse(spec.body, req.body, 'body');
      const result = await spec.handler({ params, query, body, req, res });
      if (res.headersSent) return;
      res.status((res.locals.status as number | undefined) ?? spec.status ?? 200);
      if (result === undefined) res.end();
      else res.json(result);
    };
    router[spec.method](spec.path, ...(spec.middleware ?? []), handler);
  }
}
