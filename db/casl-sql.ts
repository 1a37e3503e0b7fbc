/**
 * CASL rules → SQL: the AST of `rulesToAST` interpreted into a knex `where`, so a list query
 * returns exactly the rows the object check would allow. Unknown operators fail closed.
 */
import type { Knex } from 'knex';

interface Node {
  operator: string;
  field?: string;
  value: unknown;
}

function apply(q: Knex.QueryBuilder, node: Node): void {
  const { operator, field, value } = node;
  switch (operator) {
    case 'and':
      for (const child of value as Node[]) q.where((w) => apply(w, child));
      return;
    case 'or':
      q.where((w) => {
        for (const child of value as Node[]) w.orWhere((o) => apply(o, child));
      });
      return;
    case 'not':
      q.whereNot((w) => apply(w, value as Node));
      return;
    case 'eq':
      if (value === null) q.whereNull(field!);
      else q.where(field!, value as never);
      return;
    case 'ne':
      if (value === null) q.whereNotNull(field!);
      else q.where((w) => w.whereNot(field!, value as never).orWhereNull(field!));
      return;
    case 'in':
      q.whereIn(field!, value as never[]);
      return;
    case 'nin':
      q.whereNotIn(field!, value as never[]);
      return;
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      q.where(field!, { lt: '<', lte: '<=', gt: '>', gte: '>=' }[operator], value as never);
      return;
    default:
      throw new Error(`CASL operator ${operator} has no SQL translation`);
  }
}

/** A knex `where` callback for an AST; `null` (no rule allows anything) matches no row. */
export function caslWhere(ast: unknown): (q: Knex.QueryBuilder) => void {
  return (q) => {
    if (ast === null) q.whereRaw('false');
    else apply(q, ast as Node);
  };
}

/**
 * The top-level OR branches of a rule AST, each as a `where` callback. Querying each branch as its
 * own ordered, limited subquery lets every branch use its own index (see TaskStore.page).
 */
export function caslBranches(ast: unknown): Array<(q: Knex.QueryBuilder) => void> {
  if (ast !== null && (ast as Node).operator === 'or') return ((ast as Node).value as Node[]).map((child) => caslWhere(child));
  return [caslWhere(ast)];
}
