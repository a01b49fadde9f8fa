/**
 * The example workflow of the issue and docs/workflows.md: double → big → reply. Tests and the
 * engine benchmark use it; the default trigger is a webhook that waits and answers `reply`.
 */
export const exampleDefinition = (
  trigger: unknown = { type: 'webhook', config: { respond: 'wait', responseStep: 'reply' } },
) => ({
  trigger,
  steps: [
    { id: 'double', type: 'transform', config: { expression: '{"n": trigger.body.n * 2}' } },
    { id: 'big', type: 'condition', config: { expression: 'steps.double.output.n > 10' } },
    {
      id: 'reply',
      type: 'transform',
      config: { expression: '{"n": steps.double.output.n, "big": steps.big.output.result}' },
    },
  ],
  edges: [
    { from: 'double', to: 'big' },
    { from: 'big', to: 'reply' },
  ],
});
