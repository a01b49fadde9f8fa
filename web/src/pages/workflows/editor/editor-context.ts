import { createContext, useContext } from 'react';
import type { StepKind } from '../../../lib/workflow/definition';
import type { NodeProblems } from '../../../lib/workflow/problems';

/** The latest attempt of a step in the test run shown on the canvas. */
export interface StepRunState {
  status: string;
  output: unknown;
  error: unknown;
  branch: string | null;
}

/**
 * What nodes show besides their own data: problems, test-run results, kinds. Kept out of node
 * data so that the graph (and its "unsaved changes" comparison) holds only the definition.
 */
export interface EditorView {
  kinds: Map<string, StepKind>;
  problems: Map<string, NodeProblems>;
  run: Map<string, StepRunState>;
  /** Steps with an outgoing edge without `when` (a branching node then shows its plain handle). */
  plainOut: Set<string>;
  /** `when` labels used by edges out of each step (drawn even if the config no longer offers them). */
  usedLabels: Map<string, string[]>;
  showOutput: (stepId: string) => void;
  readOnly: boolean;
}

export const EditorViewContext = createContext<EditorView | null>(null);

export function useEditorView(): EditorView {
  const v = useContext(EditorViewContext);
  if (!v) throw new Error('useEditorView outside the editor');
  return v;
}
