import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { EditorNode, FlowEdge } from '../../../lib/workflow/graph';
import { StepNodeView, TriggerNodeView } from './nodes';
import { DRAG_TYPE } from './palette';

// Stable across renders, as React Flow requires.
const nodeTypes = { step: StepNodeView, trigger: TriggerNodeView };

export function Canvas({
  nodes,
  edges,
  onNodesChange,
  onEdgesChange,
  onConnect,
  onDropKind,
  onSelect,
  readOnly,
  empty,
}: {
  nodes: EditorNode[];
  edges: FlowEdge[];
  onNodesChange: (c: NodeChange<EditorNode>[]) => void;
  onEdgesChange: (c: EdgeChange<FlowEdge>[]) => void;
  onConnect: (c: Connection) => void;
  onDropKind: (type: string, at: { x: number; y: number }) => void;
  onSelect: (sel: { node?: string; edge?: string }) => void;
  readOnly: boolean;
  empty: boolean;
}) {
  const flow = useReactFlow();
  const dark = useDarkClass();
  // A step added by click (or a rename) may land outside the view: fit again when nodes appear.
  const count = nodes.length;
  const previous = useRef(count);
  useEffect(() => {
    const grew = count > previous.current;
    previous.current = count;
    if (!grew) return;
    const t = setTimeout(() => void flow.fitView({ padding: 0.25, maxZoom: 1, duration: 250 }), 40);
    return () => clearTimeout(t);
  }, [count, flow]);
  const onDrop = (e: DragEvent) => {
    const type = e.dataTransfer.getData(DRAG_TYPE);
    if (!type) return;
    e.preventDefault();
    const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    onDropKind(type, { x: p.x - 112, y: p.y - 30 });
  };
  return (
    <div className="relative h-full w-full" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <ReactFlow<EditorNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeClick={(_, n) => onSelect({ node: n.id })}
        onEdgeClick={(_, e) => !e.data?.derived && onSelect({ edge: e.id })}
        onPaneClick={() => onSelect({})}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        elementsSelectable
        deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
        fitView
        fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
        minZoom={0.2}
        defaultEdgeOptions={{ type: 'smoothstep' }}
        proOptions={{ hideAttribution: true }}
        aria-label="Workflow canvas"
      >
        <Background gap={20} />
        <Controls showInteractive={false} />
        <MiniMap
          pannable
          zoomable
          className="!hidden xl:!block"
          style={{ width: 150, height: 100 }}
          maskColor={dark ? 'rgb(2 6 23 / 0.7)' : 'rgb(241 245 249 / 0.7)'}
          nodeColor={dark ? '#334155' : '#cbd5e1'}
          ariaLabel="Mini map"
        />
      </ReactFlow>
      {empty && (
        <div className="pointer-events-none absolute inset-x-0 top-12 flex justify-center px-4">
          <p
            className="max-w-xs rounded-lg border border-dashed border-slate-300 bg-white/90 p-4 text-center text-sm text-slate-600 dark:border-slate-600 dark:bg-slate-900/90 dark:text-slate-300"
            data-testid="canvas-hint"
          >
            Drag a step from the palette (“Add steps”), or press one to add it. Then connect steps from a node's right
            handle to another's left handle.
          </p>
        </div>
      )}
    </div>
  );
}

/** Whether the page is in the dark theme (the `dark` class on <html>), following switches. */
function useDarkClass(): boolean {
  const [dark, setDark] = useState(() => document.documentElement.classList.contains('dark'));
  useEffect(() => {
    const el = document.documentElement;
    const o = new MutationObserver(() => setDark(el.classList.contains('dark')));
    o.observe(el, { attributes: true, attributeFilter: ['class'] });
    return () => o.disconnect();
  }, []);
  return dark;
}
