import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changeFilters, isFiltered, readListState, toApiQuery, writeListState } from './list-query';

describe('items list state in the URL', () => {
  it('round-trips search, filters, sort and cursor', () => {
    const p = new URLSearchParams('q=invoce&status=active&status=draft&tag=billing&tag=acme&sort=name&cursor=abc');
    const state = readListState(p);
    assert.deepEqual(state, {
      q: 'invoce',
      status: ['active', 'draft'],
      tags: ['billing', 'acme'],
      sort: 'name',
      cursor: 'abc',
    });
    assert.equal(writeListState(state).toString(), p.toString());
  });

  it('drops values the API would refuse from a hand-edited link', () => {
    const state = readListState(new URLSearchParams('status=deleted&status=active&status=active&sort=size&tag=A,B'));
    assert.deepEqual(state.status, ['active']);
    assert.equal(state.sort, '');
    assert.deepEqual(state.tags, ['ab']);
    assert.equal(readListState(new URLSearchParams('sort=relevance')).sort, '', 'relevance needs a search');
  });

  it('starts again at the first page when a filter changes, and leaves "best match" with the search', () => {
    const state = readListState(new URLSearchParams('q=x&sort=relevance&cursor=abc'));
    const next = changeFilters(state, { status: ['archived'] });
    assert.equal(next.cursor, '');
    assert.equal(next.sort, 'relevance');
    assert.equal(changeFilters(state, { q: '' }).sort, '');
  });

  it('builds the API query without empty parts', () => {
    assert.deepEqual(toApiQuery(readListState(new URLSearchParams(''))), { limit: 25 });
    assert.deepEqual(toApiQuery(readListState(new URLSearchParams('q=%20hello%20&tag=x&cursor=c')), 10), {
      limit: 10,
      q: 'hello',
      tag: ['x'],
      cursor: 'c',
    });
  });

  it('knows when the list is narrowed', () => {
    assert.equal(isFiltered(readListState(new URLSearchParams('sort=name'))), false);
    assert.equal(isFiltered(readListState(new URLSearchParams('tag=x'))), true);
  });
});
