import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange } from '@xyflow/react';
import { useCallback, useMemo, useState } from 'react';
import type { StepDef, StepKind, TriggerDef, WorkflowDef } from '../../../lib/workflow/definition';
import {
  definitionToGraph,
  edgeId,
  graphToDefinition,
  isStepNode,
  newStepId,
  removeNodes,
  renameStep,
  toFlowEdge,
  TRIGGER_NODE_ID,
  withTriggerEdges,
  type EditorNode,
  type FlowEdge,
} from '../../../lib/workflow/graph';
import { branchLabels } from '../../../lib/workflow/branches';
import { LAYER_GAP } from '../../../lib/workflow/layout';
import { initialConfig } from '../../../lib/workflow/schema-fields';

/**
 * The editor's graph state: nodes and the step edges (trigger edges are derived on read). Every
 * change goes through here so the definition, derived edges and selection stay consistent.
 */
export function useGraph(initial: WorkflowDef, kinds: Map<string, StepKind>) {
  const start = useMemo(() => definitionToGraph(initial), [initial]);
  const [nodes, setNodes] = useState<EditorNode[]>(start.nodes);
  const [edges, setEdges] = useState<FlowEdge[]>(() => start.edges.filter((e) => !e.data?.derived));
  const [settings, setSettings] = useState(initial.settings ?? {});
  const [selected, setSelected] = useState<{ node?: string; edge?: string }>({});

  const allEdges = useMemo(
    () =>
      withTriggerEdges(nodes, edges).map((e) => ({
        ...e,
        selected: e.id === selected.edge,
        style: e.data?.derived ? { strokeDasharray: '5 5' } : { strokeWidth: 1.75 },
        // Follow the theme: React Flow's label colours are fixed otherwise.
        labelStyle: { fill: 'currentColor', fontSize: 11 },
        labelBgStyle: { fill: 'var(--xy-background-color, #fff)' },
      })),
    [nodes, edges, selected.edge],
  );
  const shownNodes = useMemo(
    () => nodes.map((n) => ({ ...n, selected: n.id === selected.node })),
    [nodes, selected.node],
  );
  const definition = useMemo(() => graphToDefinition(nodes, edges, { settings }), [nodes, edges, settings]);

  const onNodesChange = useCallback((changes: NodeChange<EditorNode>[]) => {
    const removed = new Set(changes.flatMap((c) => (c.type === 'remove' ? [c.id] : [])));
    removed.delete(TRIGGER_NODE_ID);
    const rest = changes.filter((c) => c.type !== 'select' && (c.type !== 'remove' || removed.has(c.id)));
    setNodes((ns) => applyNodeChanges(rest, ns));
    if (removed.size > 0) {
      setEdges((es) => es.filter((e) => !removed.has(e.source) && !removed.has(e.target)));
      setSelected({});
    }
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange<FlowEdge>[]) => {
    // Derived trigger edges are not state; selection is ours.
    const rest = changes.filter((c) => c.type !== 'select' && !('id' in c && c.id.startsWith(TRIGGER_NODE_ID)));
    setEdges((es) => applyEdgeChanges(rest, es));
    if (rest.some((c) => c.type === 'remove')) setSelected({});
  }, []);

  const onConnect = useCallback((c: Connection) => {
    if (!c.source || !c.target || c.source === TRIGGER_NODE_ID || c.source === c.target) return;
    const def = { from: c.source, to: c.target, ...(c.sourceHandle ? { when: c.sourceHandle } : {}) };
    setEdges((es) => (es.some((e) => e.id === edgeId(def)) ? es : [...es, toFlowEdge(def)]));
  }, []);

  const addStep = useCallback(
    (type: string, at?: { x: number; y: number }) => {
      const kind = kinds.get(type);
      const newId = newStepId(
        type,
        nodes.map((n) => n.id),
      );
      const anchor =
        nodes.find((n) => n.id === selected.node) ?? nodes.reduce((a, b) => (b.position.x > a.position.x ? b : a));
      // Right of the anchor, below whatever already sits in that column.
      const column = nodes.filter((n) => Math.abs(n.position.x - anchor.position.x - LAYER_GAP) < 60);
      const position = at ?? {
        x: anchor.position.x + LAYER_GAP,
        y: column.length ? Math.max(...column.map((n) => n.position.y)) + 130 : anchor.position.y,
      };
      const step: StepDef = { id: newId, type, config: kind ? initialConfig(kind.configSchema) : {} };
      setNodes((ns) => [...ns, { id: newId, type: 'step', position, data: { step } }]);
      // Added by click after a selected step: run after it (on its first unused branch), so
      // building a chain needs no pointer drag at all.
      if (!at && anchor.id === selected.node && anchor.type === 'step') {
        const src = anchor.data.step;
        const labels = branchLabels(src.type, src.config, kinds.get(src.type)?.branches ?? false);
        const used = new Set(edges.filter((e) => e.source === src.id).map((e) => e.sourceHandle));
        const when = labels && labels.length > 0 ? (labels.find((l) => !used.has(l)) ?? labels[0]) : undefined;
        setEdges((es) => [...es, toFlowEdge({ from: src.id, to: newId, ...(when ? { when } : {}) })]);
      }
      setSelected({ node: newId });
    },
    [kinds, nodes, edges, selected.node],
  );

  const connect = useCallback((from: string, to: string, when: string | undefined) => {
    const def = { from, to, ...(when ? { when } : {}) };
    setEdges((es) => (es.some((e) => e.id === edgeId(def)) ? es : [...es, toFlowEdge(def)]));
  }, []);
  const disconnect = useCallback((id: string) => setEdges((es) => es.filter((e) => e.id !== id)), []);

  const updateStep = useCallback((step: StepDef) => {
    setNodes((ns) => ns.map((n) => (n.id === step.id && isStepNode(n) ? { ...n, data: { step } } : n)));
  }, []);

  const updateTrigger = useCallback((trigger: TriggerDef) => {
    setNodes((ns) => ns.map((n) => (n.type === 'trigger' ? { ...n, data: { trigger } } : n)));
  }, []);

  const rename = useCallback(
    (from: string, to: string) => {
      const r = renameStep(nodes, edges, from, to);
      setNodes(r.nodes);
      setEdges(r.edges.filter((e) => !e.data?.derived));
      setSelected({ node: to });
    },
    [nodes, edges],
  );

  const remove = useCallback(
    (sel: { node?: string; edge?: string }) => {
      if (sel.node) {
        const r = removeNodes(nodes, edges, new Set([sel.node]));
        setNodes(r.nodes);
        setEdges(r.edges.filter((e) => !e.data?.derived));
      } else if (sel.edge) setEdges((es) => es.filter((e) => e.id !== sel.edge));
      setSelected({});
    },
    [nodes, edges],
  );

  return {
    nodes: shownNodes,
    rawNodes: nodes,
    edges: allEdges,
    stepEdges: edges,
    settings,
    setSettings,
    definition,
    selected,
    setSelected,
    onNodesChange,
    onEdgesChange,
    onConnect,
    addStep,
    connect,
    disconnect,
    updateStep,
    updateTrigger,
    rename,
    remove,
  };
}
export type GraphState = ReturnType<typeof useGraph>;
