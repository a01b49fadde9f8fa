import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import type { TestDatabase } from '../../../test/support/databases.ts';
import { encodeCursor } from '../../platform/validation.ts';
import { ITEM_LIMITS, ITEM_SORTS } from './items.dto.ts';
import { ITEM_STATUSES } from './items.table.ts';

/**
 * Property tests: generated bodies, headers and query strings thrown at the items API. Whatever
 * comes in, the answer is never a 5xx; a rejection is a 4xx problem document and leaves the
 * database exactly as it was; an acceptance stores what was sent (normalised as documented).
 */

type Body = Record<string, unknown>;
type Response = LightMyRequestResponse;

// ---------------------------------------------------------------------------------------------
// Database snapshots

interface Snapshot {
  items: number;
  items_digest: string;
  audits: number;
  audits_digest: string;
  all_items: number;
  all_audits: number;
}

async function snapshot(db: TestDatabase, tenantId: string): Promise<Snapshot> {
  const res = (await db.handle.db.execute(sql`
    select
      (select count(*)::int from items where tenant_id = ${tenantId}) as items,
      (select md5(coalesce(string_agg(
          (i.id, i.name, i.description, i.status, i.tags, i.metadata, i.version, i.created_at, i.updated_at)::text,
          '|' order by i.id), '')) from items i
        where i.tenant_id = ${tenantId}) as items_digest,
      (select count(*)::int from audit_logs where tenant_id = ${tenantId}) as audits,
      (select md5(coalesce(string_agg(a::text, '|' order by a.id), '')) from audit_logs a
        where a.tenant_id = ${tenantId}) as audits_digest,
      (select count(*)::int from items) as all_items,
      (select count(*)::int from audit_logs) as all_audits
  `)) as unknown as { rows: Snapshot[] };
  const row = res.rows[0];
  assert.ok(row, 'snapshot query returned a row');
  return { ...row, items: Number(row.items), audits: Number(row.audits) };
}

// ---------------------------------------------------------------------------------------------
// Response checks

const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const describeRequest = (what: string, res: Response) => `${what} → ${res.statusCode} ${res.body.slice(0, 600)}`;

function assertNot5xx(what: string, res: Response) {
  assert.ok(res.statusCode < 500, describeRequest(what, res));
}

/** A rejection: 4xx, problem+json, with a code and the request id of the response header. */
function assertProblem(what: string, res: Response) {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, describeRequest(what, res));
  assert.equal(res.headers['content-type'], PROBLEM_CONTENT_TYPE, describeRequest(what, res));
  const body = res.json();
  assert.equal(body.status, res.statusCode, describeRequest(what, res));
  assert.equal(typeof body.code, 'string', describeRequest(what, res));
  assert.match(body.code, /^[A-Z][A-Z0-9_]*$/, describeRequest(what, res));
  assert.equal(typeof body.requestId, 'string', describeRequest(what, res));
  assert.ok(body.requestId.length > 0, describeRequest(what, res));
  assert.equal(body.requestId, res.headers['x-request-id'], describeRequest(what, res));
}

/** What the API should store for a create body it accepted (trimmed, tags lower-cased, deduplicated). */
function expectedFromCreate(b: Body) {
  assert.equal(typeof b.name, 'string', 'an accepted body has a string name');
  const tags = (b.tags ?? []) as unknown[];
  assert.ok(Array.isArray(tags), 'an accepted body has array tags');
  return {
    name: (b.name as string).trim(),
    description: ((b.description ?? '') as string).trim(),
    status: b.status ?? 'active',
    tags: [...new Set(tags.map((t) => (t as string).trim().toLowerCase()))],
    // What JSON can carry (e.g. -0 becomes 0), which is what was really sent.
    metadata: JSON.parse(toJson(b.metadata ?? {})),
  };
}

// ---------------------------------------------------------------------------------------------
// JSON with pre-serialised fragments: values nested thousands deep would overflow the test's own
// JSON.stringify (and fast-check's printer) before the server ever saw them.

class RawJson {
  constructor(readonly text: string) {}
}

function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (!(v instanceof RawJson)) return v;
    raws.push(v.text);
    return `\u0000raw:${raws.length - 1}`;
  });
  if (text === undefined) throw new Error('not serialisable as JSON');
  return raws.length === 0 ? text : text.replace(/"\\u0000raw:(\d+)"/g, (_m, i: string) => raws[Number(i)] ?? 'null');
}

// ---------------------------------------------------------------------------------------------
// URL encoding that can also carry lone surrogates (as WTF-8 bytes, which no UTF-8 decoder accepts)

function encodeLoose(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generators

const noNul = (s: string) => !s.includes('\u0000');
const isStorable = (s: string) => noNul(s) && s.isWellFormed();
const jsonHasNul = (v: unknown) => JSON.stringify(v).includes('\\u0000');

const validName = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((s) => isStorable(s) && s.trim().length > 0 && s.trim().length <= ITEM_LIMITS.nameMax);
const paddedName = fc
  .tuple(fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u2003', '\ufeff', '  \r\n'), validName)
  .map(([pad, n]) => `${pad}${n}${pad}`);
const validDescription = fc
  .string({ unit: 'grapheme', maxLength: 80 })
  .filter((s) => isStorable(s) && s.trim().length <= ITEM_LIMITS.descriptionMax);
const WEIRD_TAGS = [
  'null',
  'NULL',
  'a"b',
  'c\\d',
  '{x}',
  'f g',
  "it's",
  'Ünïcödé',
  'İstanbul',
  '日本',
  '💥',
  '%20',
  'a&b=c',
];
const validTag = fc.oneof(
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
    .filter((t) => isStorable(t) && t.trim().length > 0 && t.trim().length <= ITEM_LIMITS.tagMax)
    .filter((t) => !/[\p{Cc},]/u.test(t)),
  fc.constantFrom(...WEIRD_TAGS),
);
const validTags = fc.array(validTag, { maxLength: 6 });
const storableJson = fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }).filter((v) => !jsonHasNul(v));
const validMetadata = fc.dictionary(
  fc.string({ unit: 'grapheme', maxLength: 12 }).filter((k) => isStorable(k) && k.length <= 200),
  storableJson,
  { maxKeys: 5 },
);
const status = fc.constantFrom(...ITEM_STATUSES);

const validCreate: fc.Arbitrary<Body> = fc.record(
  {
    name: fc.oneof(validName, paddedName),
    description: validDescription,
    status,
    tags: validTags,
    metadata: validMetadata,
  },
  { requiredKeys: ['name'] },
);

/** Any JSON, with strings over all of Unicode, lone surrogates included. */
const anyJson = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
/** Objects with the API's own field names but arbitrary values: closer to the schema than anyJson. */
const knownKeysAnyValues = fc.dictionary(
  fc.constantFrom('name', 'description', 'status', 'tags', 'metadata', 'version', 'id', 'createdAt'),
  anyJson,
  { maxKeys: 6 },
);

/** A string with `bad` inserted at a generated position. */
const withInserted = (base: fc.Arbitrary<string>, bad: fc.Arbitrary<string>) =>
  fc.tuple(base, bad, fc.nat()).map(([s, b, at]) => {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    return `${s.slice(0, i)}${b}${s.slice(i)}`;
  });
const unstorable = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff');
const wrongTypeForString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);
const controlChar = fc
  .integer({ min: 0, max: 0x9f })
  .filter((c) => c < 0x20 || c >= 0x7f)
  .map((c) => String.fromCharCode(c));

/** A deep JSON value whose innermost value sits `levels` containers down. */
const nested = (levels: number, kind: 'array' | 'object'): RawJson =>
  new RawJson(
    kind === 'array'
      ? `${'['.repeat(levels)}1${']'.repeat(levels)}`
      : `${'{"k":'.repeat(levels)}1${'}'.repeat(levels)}`,
  );
// The metadata object is depth 0 and its values depth 1, so `levels` containers put the innermost
// value at depth levels + 1: at most 8 is allowed, so levels >= 8 must be refused.
const deepLevels = fc.oneof(
  fc.integer({ min: ITEM_LIMITS.metadataMaxDepth, max: 40 }),
  fc.integer({ min: 40, max: 6000 }),
);

interface Mutated {
  label: string;
  body: Body;
  /** True when the mutation makes the body invalid whatever the base was. */
  mustReject: boolean;
}

type Mutation = fc.Arbitrary<(b: Body) => Mutated>;

const preview = (v: unknown, max = 200) => {
  try {
    return toJson(v).slice(0, max);
  } catch {
    return '<too deep to print>';
  }
};

/** Attaches a short description for fast-check's reports: deep values would overflow its printer. */
const mutated = (label: string, mustReject: boolean, body: Body): Mutated =>
  Object.assign(
    { label, mustReject, body },
    { [fc.toStringMethod]: () => `${label}${mustReject ? ' (must reject)' : ''}: ${preview(body)}` },
  );

const set =
  (label: string, mustReject: boolean, patch: Body) =>
  (b: Body): Mutated =>
    mutated(label, mustReject, { ...b, ...patch });

/** Mutations shared by create and update bodies: one field made invalid (or merely odd). */
function fieldMutations(): Mutation[] {
  return [
    fc
      .integer({ min: ITEM_LIMITS.nameMax + 1, max: 80_000 })
      .map((n) => set('huge name', true, { name: 'n'.repeat(n) })),
    fc
      .integer({ min: ITEM_LIMITS.descriptionMax + 1, max: 80_000 })
      .map((n) => set('huge description', true, { description: 'd'.repeat(n) })),
    withInserted(validName, unstorable).map((name) => set('unstorable name', true, { name })),
    withInserted(validDescription, unstorable).map((description) =>
      set('unstorable description', true, { description }),
    ),
    fc
      .tuple(validTags, withInserted(validTag, unstorable))
      .map(([tags, bad]) => set('unstorable tag', true, { tags: [...tags.slice(0, 5), bad] })),
    fc
      .tuple(withInserted(fc.string({ maxLength: 8 }), unstorable), storableJson)
      .map(([k, v]) => set('unstorable metadata key', true, { metadata: { [k]: v } })),
    fc
      .tuple(withInserted(fc.string({ maxLength: 8 }), unstorable), fc.integer({ min: 0, max: 5 }))
      .map(([s, depth]) =>
        set('unstorable nested metadata string', true, { metadata: { a: nested(depth, 'object'), b: [{ s }] } }),
      ),
    fc
      .tuple(fc.constantFrom('name', 'description', 'status'), wrongTypeForString)
      .map(([field, value]) => set(`wrong type for ${field}`, true, { [field]: value })),
    fc
      .oneof(fc.string(), fc.integer(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), fc.constant(null))
      .map((tags) => set('tags not an array', true, { tags })),
    fc
      .array(fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant({})), { minLength: 1, maxLength: 3 })
      .map((tags) => set('tags not strings', true, { tags })),
    fc
      .oneof(fc.array(anyJson, { maxLength: 3 }), fc.string(), fc.integer(), fc.constant(null), fc.constant('{"a":1}'))
      .map((metadata) => set('metadata not an object', true, { metadata })),
    fc
      .string()
      .filter((s) => !(ITEM_STATUSES as readonly string[]).includes(s))
      .map((s) => set('unknown status', true, { status: s })),
    fc
      .constantFrom('ACTIVE', ' active', 'active ', '1', 'deleted', 'Active')
      .map((s) => set('status variant', true, { status: s })),
    fc
      .tuple(
        fc
          .string({ maxLength: 20 })
          .filter((k) => !['name', 'description', 'status', 'tags', 'metadata', 'version'].includes(k)),
        anyJson,
      )
      .filter(([k]) => k !== '__proto__')
      .map(
        ([k, v]) =>
          (b: Body): Mutated =>
            mutated(`extra key ${JSON.stringify(k)}`, true, { ...b, [k]: v }),
      ),
    fc
      .tuple(deepLevels, fc.constantFrom('array' as const, 'object' as const))
      .map(([n, kind]) => set(`metadata nested ${n} ${kind}s deep`, true, { metadata: { a: nested(n, kind) } })),
    fc
      .tuple(
        fc.integer({ min: 0, max: ITEM_LIMITS.metadataMaxDepth - 1 }),
        fc.constantFrom('array' as const, 'object' as const),
      )
      .map(([n, kind]) =>
        set(`metadata nested ${n} ${kind}s deep (allowed)`, false, { metadata: { a: nested(n, kind) } }),
      ),
    fc
      .integer({ min: ITEM_LIMITS.metadataMaxBytes, max: 40_000 })
      .map((n) => set('metadata too large', true, { metadata: { big: 'm'.repeat(n) } })),
    fc
      .array(validTag, { minLength: ITEM_LIMITS.tagsMax + 1, maxLength: 400 })
      .map((tags) => set('too many tags', true, { tags })),
    fc
      .array(fc.constantFrom('Dup', 'dup', ' DUP ', 'dUp'), { minLength: 1, maxLength: ITEM_LIMITS.tagsMax })
      .map((tags) => set('duplicate tags in different cases', false, { tags })),
    fc
      .integer({ min: ITEM_LIMITS.tagMax + 1, max: 500 })
      .map((n) => set('overlong tag', true, { tags: ['t'.repeat(n)] })),
    fc
      .tuple(
        fc.oneof(controlChar, fc.constant(',')),
        fc.string({ minLength: 1, maxLength: 5 }).filter((s) => s.trim().length > 0),
      )
      .map(([c, s]) => set('tag with a comma or control character', true, { tags: [`a${c}${s}`] })),
    fc.constantFrom('', ' ', '\t\n', '\u00a0', '\u3000').map((name) => set('blank name', true, { name })),
    fc.constantFrom('', ' ', '\t').map((t) => set('blank tag', true, { tags: [t] })),
    paddedName.map((name) => set('name padded with whitespace', false, { name })),
    fc
      .constantFrom({ name: 1 }, { name: '1', tags: [1] }, { tags: ['1', 2] }, { metadata: '{}' }, { status: 0 })
      .map((p) => set('numbers for strings', true, p)),
  ];
}

const createMutations: Mutation[] = [
  ...fieldMutations(),
  fc.constant((b: Body): Mutated => {
    const { name: _name, ...rest } = b;
    return mutated('name missing', true, rest);
  }),
];

const almostValidCreate = fc.tuple(validCreate, fc.oneof(...createMutations)).map(([base, mutate]) => mutate(base));

/** Shared fast-check settings: the failing assertion's message goes into the report. */
const RUNS = { includeErrorInReport: true } as const;

// ---------------------------------------------------------------------------------------------

describeEachBackend('items API under generated input', (getDb) => {
  // A tenant per property: its rows stay few, which keeps the per-request snapshots cheap.
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(getDb());
  });
  afterEach(async () => {
    await t.app.close();
  });

  const sendJson = (method: 'POST' | 'PATCH', url: string, body: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method,
      url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: toJson(body),
    });

  /**
   * Sends a body and checks the rejection contract: never a 5xx, a 4xx is a problem document and
   * leaves the database exactly as it was. Returns the response and the snapshot taken before it
   * when it was accepted.
   */
  async function sendExpectingNoChangeOnReject(
    what: string,
    method: 'POST' | 'PATCH',
    url: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const beforeSnap = await snapshot(getDb(), t.tenantId);
    const res = await sendJson(method, url, body, headers);
    assertNot5xx(what, res);
    if (res.statusCode < 400) return { res, beforeSnap };
    assertProblem(what, res);
    assert.deepEqual(
      await snapshot(getDb(), t.tenantId),
      beforeSnap,
      `${what}: a rejected request changed the database`,
    );
    return undefined;
  }

  /** POSTs a body; a rejection must leave the database as it was, an acceptance must store the body. */
  async function checkCreate(what: string, body: unknown, mustReject: boolean) {
    const accepted = await sendExpectingNoChangeOnReject(what, 'POST', '/api/v1/items', body);
    if (!accepted) return;
    const { res, beforeSnap } = accepted;
    assert.ok(!mustReject, describeRequest(`${what}: an invalid body was accepted`, res));
    assert.equal(res.statusCode, 201, describeRequest(what, res));
    assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), 'only an object can be accepted');
    const item = res.json();
    assert.deepEqual(
      { name: item.name, description: item.description, status: item.status, tags: item.tags, metadata: item.metadata },
      expectedFromCreate(body as Body),
      what,
    );
    assert.equal(item.version, 1);
    assert.equal(res.headers.etag, '"1"');
    assert.equal(res.headers.location, `/api/v1/items/${item.id}`);

    const afterSnap = await snapshot(getDb(), t.tenantId);
    assert.equal(afterSnap.items, beforeSnap.items + 1, `${what}: one item more`);
    assert.equal(afterSnap.audits, beforeSnap.audits + 1, `${what}: one audit entry more`);
    assert.equal(afterSnap.all_items, beforeSnap.all_items + 1, `${what}: no other tenant's rows touched`);

    const got = await t.app.inject({ url: `/api/v1/items/${item.id}` });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), item, `${what}: reads back as created`);
    const firstTag = item.tags[0];
    if (typeof firstTag === 'string') {
      const found = await t.app.inject({ url: `/api/v1/items?limit=100&tag=${encodeLoose(firstTag)}` });
      assert.equal(found.statusCode, 200, describeRequest(`${what}: filter by its tag`, found));
      assert.ok(
        found.json().data.some((i: { id: string }) => i.id === item.id),
        `${what}: found again by its tag ${JSON.stringify(firstTag)}`,
      );
    }
  }

  it('POST /items: arbitrary JSON never causes a 5xx, and a rejection changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson, knownKeysAnyValues), async (body) => {
        await checkCreate(`POST ${JSON.stringify(body).slice(0, 200)}`, body, false);
      }),
      { ...RUNS, numRuns: 200 },
    );
  });

  it('POST /items: valid bodies are stored as sent (trimmed, tags normalised)', async () => {
    await fc.assert(
      fc.asyncProperty(validCreate, async (body) => {
        await checkCreate(`POST valid ${JSON.stringify(body).slice(0, 200)}`, body, false);
      }),
      { ...RUNS, numRuns: 150 },
    );
  });

  it('POST /items: almost-valid bodies (one field broken) are refused with a problem, changing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(almostValidCreate, async ({ label, body, mustReject }) => {
        await checkCreate(`POST (${label})`, body, mustReject);
      }),
      {
        ...RUNS,
        numRuns: 300,
        // Always tried, besides the random runs: nesting deep enough to exhaust a recursive validator.
        examples: [
          [mutated('metadata nested 5000 arrays deep', true, { name: 'deep', metadata: { a: nested(5000, 'array') } })],
          [
            mutated('metadata nested 5000 objects deep', true, {
              name: 'deep',
              metadata: { a: nested(5000, 'object') },
            }),
          ],
        ],
      },
    );
  });

  // --- PATCH ---------------------------------------------------------------------------------

  const validUpdate: fc.Arbitrary<Body> = fc
    .record(
      {
        name: fc.oneof(validName, paddedName),
        description: validDescription,
        status,
        tags: validTags,
        metadata: validMetadata,
      },
      { requiredKeys: [] },
    )
    .filter((b) => Object.keys(b).length > 0);

  const updateMutations: Mutation[] = [
    ...fieldMutations(),
    fc
      .oneof(
        fc.integer().map(String),
        fc.constantFrom('1', '"1"', '', 'latest'),
        fc.constant(0),
        fc.integer({ max: 0 }),
        fc.double({ min: 1.0001, max: 1e6, noNaN: true }).filter((d) => !Number.isInteger(d)),
        fc.constant(Number.MAX_SAFE_INTEGER + 2),
        fc.constant(1e300),
        fc.boolean(),
        fc.constant(null),
      )
      .map((version) => set(`bad version ${JSON.stringify(version)}`, true, { version })),
    fc.constant((_b: Body): Mutated => mutated('empty body', true, {})),
    fc.integer({ min: 1, max: 1_000_000 }).map(
      (version) =>
        (_b: Body): Mutated =>
          mutated('only a version', true, { version }),
    ),
  ];
  const patchBody = fc.oneof(
    { weight: 2, arbitrary: validUpdate.map((body) => mutated('valid', false, body)) },
    { weight: 4, arbitrary: fc.tuple(validUpdate, fc.oneof(...updateMutations)).map(([b, m]) => m(b)) },
    {
      weight: 2,
      arbitrary: fc.oneof(anyJson, knownKeysAnyValues).map((body) => mutated('arbitrary', false, body as Body)),
    },
  );

  /** Characters an HTTP field value may hold (visible ASCII, space, tab, obs-text). */
  const headerChar = fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    fc.constant('\t'),
  );
  const CURRENT = Symbol('current version ETag');
  const ifMatch = fc.option(
    fc.oneof(
      fc.string({ unit: headerChar, maxLength: 120 }),
      fc.constantFrom(
        '*',
        '',
        ' ',
        '"1"',
        'W/"1"',
        '"0"',
        '"-1"',
        '"1',
        '1"',
        '""',
        '"999999999"',
        '"9999999999"',
        '"1", "2"',
        '"1.5"',
        '"١"',
      ),
      fc.integer().map((n) => `"${n}"`),
      fc.constant(CURRENT),
    ),
    { nil: undefined },
  );
  const UNKNOWN_ID = 'itm_00000000000000000000000000';
  const targetId = fc.oneof(
    { weight: 8, arbitrary: fc.constant('own') },
    { weight: 1, arbitrary: fc.constant(UNKNOWN_ID) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  );

  it('PATCH /items/:id: arbitrary bodies and If-Match values never cause a 5xx; rejections change nothing', async () => {
    const created = await sendJson('POST', '/api/v1/items', { name: 'Patch target', tags: ['seed'] });
    assert.equal(created.statusCode, 201);
    const own: string = created.json().id;

    await fc.assert(
      fc.asyncProperty(patchBody, ifMatch, targetId, async ({ label, body, mustReject }, match, target) => {
        const current = (await t.app.inject({ url: `/api/v1/items/${own}` })).json();
        const id = target === 'own' ? own : target;
        const headerValue = match === CURRENT ? `"${current.version}"` : match;
        const headers: Record<string, string> = headerValue === undefined ? {} : { 'if-match': headerValue };
        const url = `/api/v1/items/${encodeURIComponent(id.toWellFormed())}`;
        const what = `PATCH ${url} (${label}) if-match=${JSON.stringify(headerValue)} ${preview(body)}`;

        const accepted = await sendExpectingNoChangeOnReject(what, 'PATCH', url, body, headers);
        if (!accepted) return;
        const { res, beforeSnap } = accepted;
        assert.ok(!mustReject, describeRequest(`${what}: an invalid update was accepted`, res));
        assert.equal(res.statusCode, 200, describeRequest(what, res));
        assert.equal(id, own, 'only the existing item can be updated');
        const updated = res.json();
        const sent = body as Body;
        const expected = { ...current, version: current.version + 1, updatedAt: updated.updatedAt };
        if ('name' in sent) expected.name = (sent.name as string).trim();
        if ('description' in sent) expected.description = (sent.description as string).trim();
        if ('status' in sent) expected.status = sent.status;
        if ('tags' in sent) expected.tags = [...new Set((sent.tags as string[]).map((x) => x.trim().toLowerCase()))];
        if ('metadata' in sent) expected.metadata = JSON.parse(toJson(sent.metadata));
        assert.deepEqual(updated, expected, what);
        assert.equal(res.headers.etag, `"${expected.version}"`);
        // Whatever precondition was sent, an accepted one named the version it replaced.
        if (typeof sent.version === 'number') assert.equal(sent.version, current.version, `${what}: stale version`);
        const named = headerValue?.trim();
        if (named && named !== '*') {
          assert.equal(Number(named.replace(/\D/g, '')), current.version, `${what}: stale If-Match accepted`);
        }

        const afterSnap = await snapshot(getDb(), t.tenantId);
        assert.equal(afterSnap.items, beforeSnap.items, `${what}: no item added or removed`);
        assert.equal(afterSnap.audits, beforeSnap.audits + 1, `${what}: exactly one audit entry`);
        assert.deepEqual((await t.app.inject({ url: `/api/v1/items/${own}` })).json(), updated, `${what}: persisted`);
      }),
      {
        ...RUNS,
        numRuns: 250,
        examples: [
          [
            mutated('metadata nested 5000 arrays deep', true, { metadata: { a: nested(5000, 'array') } }),
            undefined,
            'own',
          ],
          [mutated('stale body version', false, { name: 'stale', version: 999 }), undefined, 'own'],
          [mutated('valid', false, { name: '  renamed  ' }), CURRENT, 'own'],
        ],
      },
    );
  });

  // --- GET list ------------------------------------------------------------------------------

  interface Param {
    key: string;
    /** Already URL-encoded. */
    raw: string;
    /** The value the server should decode, when known (not for deliberately broken encodings). */
    value?: string;
  }
  const param = (key: string, value: string): Param => ({ key, raw: encodeLoose(value), value });

  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ maxLength: 30 }),
    withInserted(fc.string({ maxLength: 10 }), unstorable),
    fc.integer({ min: 150, max: 3000 }).map((n) => 'q'.repeat(n)),
  );
  const brokenEncoding = fc.constantFrom(
    '%',
    '%z',
    '%zz',
    '%E0%A4%A',
    '%ED%A0%80',
    '%FF',
    '%C0%80',
    '%00',
    '+',
    '%2',
    '&',
    '=',
    '==',
  );
  const withRaw = (key: string, values: fc.Arbitrary<string>) =>
    fc.oneof(
      { weight: 4, arbitrary: values.map((v) => param(key, v)) },
      { weight: 1, arbitrary: brokenEncoding.map((raw): Param => ({ key, raw })) },
    );
  const sortValue = fc.oneof(fc.constantFrom(...ITEM_SORTS), anyText);
  const forgedCursor = fc
    .record({
      s: sortValue,
      q: fc.option(anyText, { nil: null }),
      v: fc.oneof(
        anyText,
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
        fc.constantFrom('infinity', '-infinity', 'NaN', '1e999', '2024-02-30T00:00:00Z', ''),
      ),
      id: fc.oneof(anyText, fc.constant(UNKNOWN_ID)),
    })
    .map((c) => encodeCursor(c));
  const queryParam: fc.Arbitrary<Param> = fc.oneof(
    withRaw(
      'limit',
      fc.oneof(
        fc.integer({ min: -5, max: 150 }).map(String),
        fc.constantFrom('', ' 5', '1e1', '0x10', '1.5', '20abc', 'Infinity', 'NaN', '-0', '1e309', '00001'),
        anyText,
      ),
    ),
    withRaw(
      'cursor',
      fc.oneof(
        anyText,
        fc.base64String({ maxLength: 60 }),
        anyJson.map((j) => Buffer.from(JSON.stringify(j)).toString('base64url')),
        forgedCursor,
      ),
    ),
    withRaw('sort', sortValue),
    withRaw('status', fc.oneof(fc.constantFrom(...ITEM_STATUSES), anyText)),
    withRaw('tag', fc.oneof(fc.constantFrom(...WEIRD_TAGS, 'seed-a', 'seed-b', 'SEED-A'), anyText)),
    withRaw(
      'q',
      fc.oneof(fc.constantFrom('seed', 'alpha', 'a & b | !c', '"unterminated', '-', ':*', "o'brien", '\\'), anyText),
    ),
    fc
      .tuple(
        fc.oneof(
          fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'limit[]', 'tag[0]', ''),
          fc.string({ maxLength: 10 }),
        ),
        anyText,
      )
      .map(([key, value]) => param(key, value)),
  );
  /**
   * A cursor forged to fit its query (same sort and q, as the service checks), carrying arbitrary
   * keyset values: random cursors almost never get past that check.
   */
  const coherentCursor = fc
    .record({
      sort: fc.option(fc.constantFrom(...ITEM_SORTS), { nil: undefined }),
      q: fc.option(fc.constantFrom('seed', 'alpha', ' alpha '), { nil: undefined }),
      v: fc.oneof(
        anyText,
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
        fc.constantFrom('infinity', '-infinity', 'NaN', '1e999', '2024-02-30T00:00:00Z', '', 'Seed alpha 2'),
      ),
      id: fc.oneof(anyText, fc.constant(UNKNOWN_ID)),
    })
    .map(({ sort, q, v, id }): Param[] => {
      const s = sort ?? (q ? 'relevance' : '-createdAt');
      const cursor = encodeCursor({ s, q: q?.trim() ?? null, v, id });
      return [
        ...(sort ? [param('sort', sort)] : []),
        ...(q !== undefined ? [param('q', q)] : []),
        param('cursor', cursor),
      ];
    });
  const queryString = fc
    .tuple(fc.array(queryParam, { maxLength: 6 }), fc.option(coherentCursor, { nil: undefined, freq: 2 }))
    .map(([params, cursor]) => (cursor ? [...params.slice(0, 2), ...cursor] : params));

  it('GET /items: arbitrary query strings never cause a 5xx, never write, and filters hold', async () => {
    const seeded: string[] = [];
    for (const [i, tags] of [
      ['seed-a'],
      ['seed-b'],
      ['seed-a', 'seed-b'],
      WEIRD_TAGS.slice(0, 6),
      WEIRD_TAGS.slice(6),
    ].entries()) {
      const res = await sendJson('POST', '/api/v1/items', {
        name: `Seed alpha ${i}`,
        description: 'seeded for list properties',
        status: ITEM_STATUSES[i % ITEM_STATUSES.length],
        tags,
      });
      assert.equal(res.statusCode, 201);
      seeded.push(res.json().id);
    }

    await fc.assert(
      fc.asyncProperty(queryString, async (params) => {
        const qs = params.map((p) => (p.key === '' ? p.raw : `${encodeLoose(p.key)}=${p.raw}`)).join('&');
        const url = `/api/v1/items?${qs}`;
        const beforeSnap = await snapshot(getDb(), t.tenantId);
        const res = await t.app.inject({ url });
        assertNot5xx(`GET ${url}`, res);
        assert.deepEqual(await snapshot(getDb(), t.tenantId), beforeSnap, `GET ${url} changed the database`);
        if (res.statusCode >= 400) {
          assertProblem(`GET ${url}`, res);
          return;
        }
        assert.equal(res.statusCode, 200, describeRequest(`GET ${url}`, res));
        const body: {
          data: { id: string; status: string; tags: string[]; createdAt: string; updatedAt: string }[];
          nextCursor: string | null;
        } = res.json();
        assert.ok(Array.isArray(body.data));
        assert.ok(body.data.length <= 100);
        assert.ok(
          body.nextCursor === null || /^[A-Za-z0-9_-]+$/.test(body.nextCursor),
          'nextCursor is opaque base64url',
        );
        for (const item of body.data) assert.ok(await isOwn(item.id), `GET ${url}: returned an item of this tenant`);

        const values = (key: string) => params.filter((p) => p.key === key);
        const known = (key: string) => values(key).every((p) => p.value !== undefined);
        const limits = values('limit');
        if (limits.length === 1 && known('limit') && /^\d+$/.test(limits[0]?.value ?? '')) {
          assert.ok(body.data.length <= Number(limits[0]?.value), `GET ${url}: at most limit items`);
        } else if (limits.length === 0) {
          assert.ok(body.data.length <= 20, `GET ${url}: default limit 20`);
        }
        if (values('status').length > 0 && known('status')) {
          const wanted = values('status').map((p) => p.value);
          for (const item of body.data) assert.ok(wanted.includes(item.status), `GET ${url}: status filter holds`);
        }
        if (values('tag').length > 0 && known('tag')) {
          const wanted = values('tag').map((p) => (p.value ?? '').trim().toLowerCase());
          for (const item of body.data) {
            for (const w of wanted) assert.ok(item.tags.includes(w), `GET ${url}: item ${item.id} carries tag ${w}`);
          }
        }
        const sorts = values('sort');
        const sort = sorts.length === 1 && known('sort') ? sorts[0]?.value : undefined;
        if (sort && /^-?(createdAt|updatedAt)$/.test(sort)) {
          const field = sort.replace('-', '') as 'createdAt' | 'updatedAt';
          const keys = body.data.map((i) => `${i[field]}|${i.id}`);
          const ordered = [...keys].sort();
          if (sort.startsWith('-')) ordered.reverse();
          assert.deepEqual(keys, ordered, `GET ${url}: sorted by ${sort}`);
        }
      }),
      {
        ...RUNS,
        numRuns: 300,
        // Cursors that fit their query but carry keyset values the database cannot cast or store.
        examples: [
          [[param('cursor', encodeCursor({ s: '-createdAt', q: null, v: 'not a time', id: UNKNOWN_ID }))]],
          [
            [
              param('sort', 'updatedAt'),
              param('cursor', encodeCursor({ s: 'updatedAt', q: null, v: '', id: UNKNOWN_ID })),
            ],
          ],
          [
            [
              param('q', 'alpha'),
              param('cursor', encodeCursor({ s: 'relevance', q: 'alpha', v: 'high', id: UNKNOWN_ID })),
            ],
          ],
          [
            [
              param('sort', 'name'),
              param('cursor', encodeCursor({ s: 'name', q: null, v: 'a\u0000b', id: UNKNOWN_ID })),
            ],
          ],
          [[param('sort', 'name'), param('cursor', encodeCursor({ s: 'name', q: null, v: 'a', id: 'itm_\u0000' }))]],
        ],
      },
    );

    async function isOwn(id: string): Promise<boolean> {
      if (seeded.includes(id)) return true;
      const res = await t.app.inject({ url: `/api/v1/items/${id}` });
      return res.statusCode === 200;
    }
  });
});
