import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldKind, initialConfig, parseNumberInput } from './schema-fields';

describe('config form fields from JSON Schema', () => {
  it('picks a control per schema', () => {
    assert.equal(fieldKind({ type: 'string', format: 'jsonata' }), 'jsonata');
    assert.equal(fieldKind({ type: 'string' }), 'string');
    assert.equal(fieldKind({ type: 'string', enum: ['GET', 'POST'] }), 'enum');
    assert.equal(fieldKind({ type: 'integer' }), 'integer');
    assert.equal(fieldKind({ type: 'number' }), 'number');
    assert.equal(fieldKind({ type: 'boolean' }), 'boolean');
    assert.equal(fieldKind({}), 'text');
    assert.equal(fieldKind({ type: 'object', additionalProperties: { type: 'string' } }), 'record');
    assert.equal(fieldKind({ type: 'object', properties: { a: { type: 'string' } } }), 'object');
    assert.equal(fieldKind({ type: 'array', items: { type: 'object', properties: {} } }), 'array-objects');
    assert.equal(fieldKind({ type: 'array', items: { type: 'string' } }), 'array-strings');
    assert.equal(fieldKind({ type: 'object', additionalProperties: {} }), 'json');
    assert.equal(fieldKind({ anyOf: [{ type: 'string' }, { type: 'number' }] }), 'json');
  });

  it('starts a new step with its required members', () => {
    const sw = {
      type: 'object',
      properties: {
        cases: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, expression: { type: 'string', format: 'jsonata' } },
            required: ['name', 'expression'],
          },
        },
        default: { type: 'string' },
      },
      required: ['cases'],
    };
    assert.deepEqual(initialConfig(sw), { cases: [{ name: '', expression: '' }] });
    assert.deepEqual(initialConfig({ type: 'object', properties: { method: { type: 'string', default: 'GET' } } }), {});
  });

  it('reads number inputs: empty is unset, junk is invalid', () => {
    assert.equal(parseNumberInput('', true), undefined);
    assert.equal(parseNumberInput('12', true), 12);
    assert.equal(parseNumberInput('1.5', true), 'invalid');
    assert.equal(parseNumberInput('1.5', false), 1.5);
    assert.equal(parseNumberInput('abc', false), 'invalid');
  });
});
