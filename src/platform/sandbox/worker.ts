/**
 * A sandbox worker thread: loads QuickJS, says `ready`, then evaluates one request at a time
 * (the pool never sends a second request before the first one's result). Started through
 * worker-boot.mjs, which registers tsx first.
 */
import { parentPort } from 'node:worker_threads';
import { Evaluator } from './evaluator.ts';
import type { WorkerMessage, WorkerRequest } from './types.ts';

const port = parentPort;
if (!port) throw new Error('worker.ts runs only as a worker thread');

// quickjs-emscripten reports an exception thrown by a host callback (interrupt handler, console
// function) with console.error before turning it into an interrupt or `null`; deep native
// recursion in user code can trigger that thousands of times. The run's outcome already says what
// happened, so drop those lines instead of flooding the process's stderr.
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('[C to host')) return;
  consoleError(...args);
};

const evaluator = new Evaluator();
await evaluator.ready();

const send = (message: WorkerMessage) => port.postMessage(message);
port.on('message', (request: WorkerRequest) => {
  void evaluator.run(request).then((outcome) => send({ type: 'result', id: request.id, outcome }));
});
send({ type: 'ready' });
