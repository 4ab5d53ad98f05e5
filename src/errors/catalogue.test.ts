/** README's error table is the documentation of ERROR_CATALOGUE; this keeps them in step (fastify's habit). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ServiceError, isServiceError, type ErrorCode } from './catalogue.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Rows of the table under the "Errors" heading: `| \`Code\` | status | meaning |`. */
function readmeErrorRows(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const m of readme.matchAll(/^\|\s*`([A-Za-z.]+)`\s*\|\s*(\d{3})\s*\|/gm)) rows.set(m[1], Number(m[2]));
  return rows;
}

describe('error catalogue', () => {
  const rows = readmeErrorRows();
  it.each(Object.keys(ERROR_CATALOGUE) as ErrorCode[])('README lists %s with its HTTP status', (code) => {
    expect(rows.get(code)).toBe(ERROR_CATALOGUE[code].status);
  });

  it('README lists no code the catalogue lacks', () => {
    expect([...rows.keys()].filter((c) => !(c in ERROR_CATALOGUE))).toEqual([]);
  });

  it('ServiceError carries the catalogued status and is recognised across module copies', () => {
    const e = new ServiceError('NoSuchKey');
    expect([e.status, e.message, isServiceError(e)]).toEqual([404, ERROR_CATALOGUE.NoSuchKey.message, true]);
    expect(isServiceError({ name: 'ServiceError', code: 'SlowDown' })).toBe(true);
    expect(isServiceError({ name: 'ServiceError', code: 'Nope' })).toBe(false);
  });
});
