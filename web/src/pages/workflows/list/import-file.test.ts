import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeProblems, exportFileName, parseImportText } from './import-file.ts';

const definition = {
  trigger: { type: 'manual' },
  steps: [{ id: 'a', type: 'transform', config: { expression: '1' } }],
};

describe('parseImportText', () => {
  it('accepts an export and keeps its name and description', () => {
    const text = JSON.stringify({ format: 'switchyard.workflow/v1', name: ' Orders ', description: 'd', definition });
    assert.deepEqual(parseImportText(text), {
      ok: true,
      body: { format: 'switchyard.workflow/v1', name: 'Orders', description: 'd', definition },
    });
  });

  it('accepts a bare definition, named after the file', () => {
    const r = parseImportText(JSON.stringify(definition), 'my-flow.json');
    assert.equal(r.ok && r.body.name, 'my-flow');
    assert.deepEqual(r.ok && r.body.definition, definition);
  });

  it('explains every problem of a file that is not an export', () => {
    const notJson = parseImportText('{oops');
    assert.match(notJson.ok ? '' : (notJson.problems[0] ?? ''), /not valid JSON/);
    const wrong = parseImportText(JSON.stringify({ format: 'n8n', definition: 3 }));
    assert.deepEqual(wrong.ok ? [] : wrong.problems, [
      'This is not a Switchyard workflow export: "format" should be "switchyard.workflow/v1", not "n8n".',
      'The export has no "name".',
      'The export has no "definition" object.',
    ]);
    const arr = parseImportText('[]');
    assert.deepEqual(arr.ok ? [] : arr.problems, ['The file must hold a JSON object.']);
  });
});

describe('describeProblems', () => {
  it('names the step or path of each problem', () => {
    assert.deepEqual(
      describeProblems([
        { code: 'CYCLE', message: 'Edges form a cycle', path: 'edges', severity: 'error' },
        { code: 'EXPRESSION_SYNTAX', message: 'Does not parse', path: 'steps[0].config', stepId: 'a' },
        { code: 'X', message: 'Reads a later step', path: '', severity: 'warning' },
        'junk',
      ]),
      ['edges: Edges form a cycle', 'step “a”: Does not parse', 'Reads a later step (warning)'],
    );
    assert.deepEqual(describeProblems(undefined), []);
  });
});

describe('exportFileName', () => {
  it('makes a safe slug', () => {
    assert.equal(exportFileName('Orders → Slack!'), 'orders-slack.workflow.json');
    assert.equal(exportFileName('***'), 'workflow.workflow.json');
  });
});
