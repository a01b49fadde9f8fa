import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addTags,
  changedFields,
  fieldErrors,
  isVersionConflict,
  type ItemLike,
  describeField,
  formToItem,
  itemToForm,
  metadataToRows,
  rowsToMetadata,
} from './item-form';

describe('metadata rows', () => {
  it('shows strings as text and everything else as JSON, and reads them back unchanged', () => {
    const metadata = { client: 'Acme', amount: 120.5, paid: false, address: { city: 'Paris' } };
    const rows = metadataToRows(metadata);
    assert.deepEqual(rows[0], { key: 'client', value: 'Acme', kind: 'text' });
    assert.deepEqual(rows[3], { key: 'address', value: '{"city":"Paris"}', kind: 'json' });
    assert.deepEqual(rowsToMetadata(rows), { ok: true, value: metadata });
  });

  it('ignores blank rows and names the row of each problem', () => {
    const res = rowsToMetadata([
      { key: '', value: '', kind: 'text' },
      { key: 'a', value: '1', kind: 'text' },
      { key: 'a', value: '2', kind: 'text' },
      { key: '', value: 'orphan', kind: 'text' },
      { key: 'n', value: 'nope', kind: 'json' },
    ]);
    assert.equal(res.ok, false);
    assert.deepEqual(Object.keys(res.ok ? {} : res.errors).sort(), [
      'metadata.2.key',
      'metadata.3.key',
      'metadata.4.value',
    ]);
  });
});

describe('tags', () => {
  it('adds comma-separated tags lower-cased and once', () => {
    assert.deepEqual(addTags(['billing'], 'Acme, billing,  Q3 ,'), ['billing', 'acme', 'q3']);
  });
});

describe('API answers on the form', () => {
  it('puts each issue next to its field, tags by position, the rest on the form', () => {
    assert.deepEqual(
      fieldErrors({ name: 'Too small', 'tags.2': 'must not contain commas', metadata: 'too deep', extra: 'x' }),
      { name: 'Too small', tags: 'Tag 3: must not contain commas', metadata: 'too deep', form: 'x' },
    );
  });

  it('recognises a version conflict by its code or a 412', () => {
    assert.equal(isVersionConflict({ status: 412, code: 'ITEM_PRECONDITION_FAILED' }), true);
    assert.equal(isVersionConflict({ status: 409, code: 'ITEM_VERSION_CONFLICT' }), true);
    assert.equal(isVersionConflict({ status: 409, code: 'QUOTA_ITEMS_EXCEEDED' }), false);
    assert.equal(isVersionConflict(undefined), false);
  });

  it('lists what changed between two versions, key order aside', () => {
    const a: ItemLike = {
      name: 'A',
      description: '',
      status: 'active',
      tags: ['x'],
      metadata: { a: 1, b: 2 },
      version: 1,
    };
    assert.deepEqual(changedFields(a, { ...a, metadata: { b: 2, a: 1 }, version: 2 }), []);
    assert.deepEqual(changedFields(a, { ...a, name: 'B', tags: [], version: 2 }), ['name', 'tags']);
    assert.equal(itemToForm(a).metadata.length, 2);
  });
});

describe('comparing the form with the server', () => {
  const base: ItemLike = { name: 'A', description: '', status: 'active', tags: [], metadata: { k: 1 }, version: 2 };

  it('reads the form as an item, keeping the base metadata while rows are invalid', () => {
    const form = { ...itemToForm(base), name: 'B', metadata: [{ key: 'k', value: 'oops', kind: 'json' as const }] };
    assert.deepEqual(formToItem(form, base), { ...base, name: 'B' });
  });

  it('describes each field in words', () => {
    assert.equal(describeField(base, 'tags'), '(none)');
    assert.equal(describeField(base, 'metadata'), '{"k":1}');
    assert.equal(describeField({ ...base, description: 'x'.repeat(100) }, 'description').length, 80);
  });
});
