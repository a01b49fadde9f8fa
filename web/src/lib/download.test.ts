import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dispositionName } from './download.ts';

describe('dispositionName', () => {
  it('reads the file name of a content-disposition header', () => {
    assert.equal(dispositionName('attachment; filename="items-report.csv"'), 'items-report.csv');
    assert.equal(dispositionName('attachment; filename=plain.json'), 'plain.json');
    assert.equal(dispositionName("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.csv"), 'résumé.csv');
    assert.equal(dispositionName('attachment'), undefined);
    assert.equal(dispositionName(null), undefined);
  });
});
