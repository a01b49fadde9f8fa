import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseYaml, readRepoFile, REPO_ROOT } from './support.ts';

// .github/workflows/*.yml, checked by GitHub's own workflow parser and its published schema
// (@actions/workflow-parser, from actions/languageservices: workflow-v1.0.json — the schema the
// Actions service and its VS Code extension use), then held to what issue 7 asks the pipeline to do.
const DIR = path.join(REPO_ROOT, '.github', 'workflows');
const FILES = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    for (const e of template.errors ?? []) if (!errors.includes(e.Message)) errors.push(e.Message);
  }
  return errors;
}

type Step = { uses?: string; run?: string; with?: Record<string, string | number> };
type Workflow = { permissions?: Record<string, string>; jobs: Record<string, { needs?: string[]; steps: Step[] }> };
const CI = parseYaml(readRepoFile('.github/workflows/ci.yml')) as Workflow;
const steps = Object.values(CI.jobs).flatMap((j) => j.steps);

test('every workflow validates against GitHub’s workflow schema', async () => {
  assert.ok(FILES.includes('ci.yml'));
  for (const file of FILES) {
    assert.deepEqual(await workflowErrors(file, fs.readFileSync(path.join(DIR, file), 'utf8')), [], file);
  }
});

test('the schema check is real: an unknown key and an unclosed expression are rejected', async () => {
  const content = readRepoFile('.github/workflows/ci.yml');
  const typo = content.replace('    runs-on: ubuntu-24.04\n', '    runs_on: ubuntu-24.04\n');
  assert.notEqual(typo, content);
  assert.ok((await workflowErrors('ci.yml', typo)).length > 0);
  const unclosed = content.replace('${{ github.ref }}', '${{ github.ref }');
  assert.ok((await workflowErrors('ci.yml', unclosed)).length > 0);
});

test('runs what .ci/run runs, builds and smoke-tests the image, scans for vulnerabilities and secrets', () => {
  const runs = steps.map((s) => s.run ?? '').join('\n');
  const uses = steps.map((s) => s.uses ?? '');
  assert.match(runs, /bash \.ci\/run/);
  assert.ok(
    uses.some((u) => u.startsWith('docker/build-push-action@')),
    'builds the image',
  );
  assert.match(runs, /docker run .*--read-only/, 'runs the image with a read-only root');
  const trivy = steps.filter((s) => s.uses?.startsWith('aquasecurity/trivy-action@'));
  assert.ok(
    trivy.some((s) => s.with?.['image-ref']),
    'Trivy scans the image',
  );
  const fsScan = trivy.find((s) => s.with?.['scan-type'] === 'fs');
  assert.deepEqual(String(fsScan?.with?.scanners).split(',').sort(), ['misconfig', 'secret', 'vuln']);
  for (const s of trivy) assert.equal(s.with?.['exit-code'], '1', 'a finding fails the build');
  assert.match(runs, /gitleaks/, 'secrets in the whole history');
  assert.ok(
    steps.some((s) => s.uses?.startsWith('actions/checkout@') && s.with?.['fetch-depth'] === 0),
    'gitleaks sees the whole history',
  );
  assert.match(runs, /npm audit --omit=dev/);
});

test('grants read-only permissions and pins every action and image to a version', () => {
  assert.deepEqual(CI.permissions, { contents: 'read' });
  for (const s of steps.filter((x) => x.uses)) {
    assert.match(s.uses ?? '', /^[\w.-]+\/[\w.-]+@(v?\d+(\.\d+)*|[0-9a-f]{40})$/, String(s.uses));
  }
  const images = steps.flatMap((s) => [...(s.run ?? '').matchAll(/docker run [^\n]*?\s([\w.-]+\/[\w.-]+)(:\S+)?\s/g)]);
  assert.ok(images.length >= 2, 'the scanners run from images');
  for (const image of images) assert.ok(image[2] && image[2] !== ':latest', `${image[1]} pinned`);
});
