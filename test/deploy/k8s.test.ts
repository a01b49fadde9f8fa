import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { validateObject } from './k8s-models.ts';
import { DEPLOY, documentedVariables, findKubectl, isRecord, parseYamlStream } from './support.ts';

// deploy/k8s: every overlay is rendered with the real `kubectl kustomize` and each object it
// renders is validated against the Kubernetes JSON schemas, then held to the deployment's rules.
const KUBECTL = findKubectl();
const OVERLAYS = fs.readdirSync(path.join(DEPLOY, 'k8s', 'overlays')).sort();
const ROLES = ['api', 'worker', 'scheduler', 'migrate'];
/** Variables set in the manifests that README's table does not list (yet), each with its reason. */
const UNDOCUMENTED_ALLOWED = new Set<string>([]);

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};
type Container = Record<string, unknown> & { name: string; args?: string[] };
type PodSpec = Record<string, unknown> & { containers: Container[] };

function render(dir: string): Obj[] {
  assert.ok(KUBECTL);
  const out = execFileSync(KUBECTL, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return parseYamlStream(out) as Obj[];
}

function podTemplate(obj: Obj): { labels: Record<string, string>; spec: PodSpec } | undefined {
  if (obj.kind !== 'Deployment' && obj.kind !== 'Job') return undefined;
  const template = obj.spec?.template as { metadata: { labels: Record<string, string> }; spec: PodSpec };
  return { labels: template.metadata.labels, spec: template.spec };
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return !!selector && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function get(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((v, k) => (Array.isArray(v) ? v[Number(k)] : isRecord(v) ? v[k] : undefined), value);
}

const skip = KUBECTL ? false : 'kubectl is not installed (CI=true requires it)';

describe('Kubernetes manifests (deploy/k8s)', { skip }, () => {
  test('has the dev and prod overlays', () => {
    assert.deepEqual(OVERLAYS, ['dev', 'prod']);
  });

  for (const overlay of OVERLAYS) {
    describe(`overlay ${overlay}`, () => {
      const objects = KUBECTL ? render(path.join(DEPLOY, 'k8s', 'overlays', overlay)) : [];
      const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
      const pods = objects.flatMap((o) => {
        const t = podTemplate(o);
        return t ? [{ obj: o, ...t }] : [];
      });
      const appPods = pods.filter((p) => p.labels['app.kubernetes.io/name'] === 'switchyard');

      test('renders, and every object validates against its Kubernetes schema', () => {
        assert.ok(objects.length > 10, `only ${objects.length} objects rendered`);
        for (const o of objects) {
          assert.doesNotThrow(() => validateObject(o), `${o.kind}/${o.metadata?.name}`);
        }
      });

      test('puts every namespaced object in the overlay namespace, which enforces the restricted pod security profile', () => {
        const [ns, ...more] = byKind('Namespace');
        assert.ok(ns && more.length === 0, 'exactly one Namespace');
        assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
        for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
          assert.equal(o.metadata.namespace, ns.metadata.name, `${o.kind}/${o.metadata.name}`);
        }
      });

      test('runs api, worker, scheduler and a migrate Job, each with its own role as the command', () => {
        const roles = appPods.map((p) => {
          const [container, ...others] = p.spec.containers;
          assert.ok(container && others.length === 0, `${p.obj.metadata.name}: one container`);
          assert.equal(container.args?.length, 1);
          assert.equal(p.labels['app.kubernetes.io/component'], container.args?.[0]);
          return `${p.obj.kind}:${container.args?.[0]}`;
        });
        assert.deepEqual(roles.sort(), ['Deployment:api', 'Deployment:scheduler', 'Deployment:worker', 'Job:migrate']);
        for (const r of roles) assert.ok(ROLES.includes(r.split(':')[1] as string));
        const job = byKind('Job')[0];
        assert.equal(get(job, 'spec', 'template', 'spec', 'restartPolicy'), 'Never');
      });

      test('hardens every pod: non-root, read-only root FS, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault, no token', () => {
        for (const p of pods) {
          const name = `${p.obj.kind}/${p.obj.metadata.name}`;
          const podSec = (p.spec.securityContext ?? {}) as Record<string, unknown>;
          assert.equal(podSec.runAsNonRoot, true, `${name}: runAsNonRoot`);
          assert.ok(Number(podSec.runAsUser) > 0, `${name}: a non-zero runAsUser`);
          assert.equal(get(podSec, 'seccompProfile', 'type'), 'RuntimeDefault', `${name}: seccomp`);
          assert.equal(p.spec.automountServiceAccountToken, false, `${name}: no service account token`);
          for (const c of p.spec.containers) {
            const sec = (c.securityContext ?? {}) as Record<string, unknown>;
            assert.equal(sec.readOnlyRootFilesystem, true, `${name}: readOnlyRootFilesystem`);
            assert.equal(sec.allowPrivilegeEscalation, false, `${name}: allowPrivilegeEscalation`);
            assert.deepEqual(get(sec, 'capabilities', 'drop'), ['ALL'], `${name}: drop ALL`);
            assert.notEqual(sec.privileged, true, name);
            for (const kind of ['requests', 'limits']) {
              for (const r of ['cpu', 'memory']) {
                assert.ok(get(c, 'resources', kind, r), `${name}: resources.${kind}.${r}`);
              }
            }
            const image = String(c.image);
            assert.match(image, /^[^:]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/, `${name}: image pinned (${image})`);
            assert.doesNotMatch(image, /:latest$/, `${name}: not :latest`);
          }
        }
      });

      test('probes the api on its health routes: startup and liveness on /health/live, readiness on /health/ready', () => {
        const api = appPods.find((p) => p.labels['app.kubernetes.io/component'] === 'api');
        const c = api?.spec.containers[0];
        assert.ok(c);
        const ports = (c.ports as { name: string; containerPort: number }[]).map((p) => p.name);
        for (const [probe, route] of [
          ['startupProbe', '/health/live'],
          ['livenessProbe', '/health/live'],
          ['readinessProbe', '/health/ready'],
        ] as const) {
          assert.equal(get(c, probe, 'httpGet', 'path'), route, probe);
          assert.ok(ports.includes(String(get(c, probe, 'httpGet', 'port'))), `${probe} targets a declared port`);
        }
        // A role's drain must finish before the kubelet's SIGKILL.
        const config = byKind('ConfigMap').find((m) => m.metadata.name.startsWith('switchyard-config'));
        const shutdownMs = Number(config?.data?.SHUTDOWN_TIMEOUT_MS);
        assert.ok(shutdownMs > 0);
        for (const p of appPods.filter((x) => x.obj.kind === 'Deployment')) {
          assert.ok(
            Number(p.spec.terminationGracePeriodSeconds) * 1000 > shutdownMs + 5000,
            `${p.obj.metadata.name}: grace period above SHUTDOWN_TIMEOUT_MS plus the preStop pause`,
          );
        }
      });

      test('configures the pods only with variables the README documents, from a ConfigMap that exists and the Secret `switchyard`', () => {
        const documented = documentedVariables();
        const configMaps = new Set(byKind('ConfigMap').map((m) => m.metadata.name));
        for (const m of byKind('ConfigMap').filter((x) => x.metadata.name.startsWith('switchyard-config'))) {
          for (const key of Object.keys(m.data ?? {})) {
            assert.ok(documented.has(key) || UNDOCUMENTED_ALLOWED.has(key), `${key} is not in README "Configuration"`);
          }
        }
        for (const p of appPods) {
          const refs = (p.spec.containers[0]?.envFrom ?? []) as Record<string, { name: string }>[];
          const cm = refs.find((r) => r.configMapRef)?.configMapRef?.name;
          assert.ok(cm && configMaps.has(cm), `${p.obj.metadata.name}: its ConfigMap ${cm} is rendered`);
          assert.equal(refs.find((r) => r.secretRef)?.secretRef?.name, 'switchyard');
        }
        assert.equal(byKind('Secret').length, 0, 'no Secret is committed');
      });

      test('selects pods correctly: each Service, PodDisruptionBudget and autoscaler targets a workload that exists', () => {
        const deployments = byKind('Deployment');
        const templateOf = (name: string) => deployments.find((d) => d.metadata.name === name);
        for (const svc of byKind('Service')) {
          const selector = svc.spec?.selector as Record<string, string>;
          const targets = pods.filter((p) => matches(selector, p.labels) && p.obj.kind === 'Deployment');
          assert.equal(targets.length, 1, `Service ${svc.metadata.name} selects one Deployment`);
          const ports = targets[0]?.spec.containers.flatMap((c) => (c.ports ?? []) as { name: string }[]);
          for (const port of svc.spec?.ports as { targetPort: string }[]) {
            assert.ok(
              ports?.some((p) => p.name === port.targetPort),
              `Service ${svc.metadata.name} targetPort`,
            );
          }
        }
        for (const d of deployments) {
          const labels = podTemplate(d)?.labels ?? {};
          assert.ok(matches(get(d, 'spec', 'selector', 'matchLabels') as Record<string, string>, labels));
          const pdbs = byKind('PodDisruptionBudget').filter((b) =>
            matches(get(b, 'spec', 'selector', 'matchLabels') as Record<string, string>, labels),
          );
          assert.equal(pdbs.length, 1, `Deployment ${d.metadata.name} has one PodDisruptionBudget`);
        }
        const scaled = [
          ...byKind('HorizontalPodAutoscaler').map((h) => get(h, 'spec', 'scaleTargetRef', 'name')),
          ...byKind('ScaledObject').map((s) => get(s, 'spec', 'scaleTargetRef', 'name')),
        ] as string[];
        assert.ok(scaled.includes('switchyard-api'), 'the api is autoscaled');
        assert.equal(new Set(scaled).size, scaled.length, 'one autoscaler per workload');
        for (const name of scaled) {
          const d = templateOf(name);
          assert.ok(d, `autoscaler target ${name} exists`);
          assert.equal(d.spec?.replicas, undefined, `${name} leaves its replica count to its autoscaler`);
        }
        const apiHpa = byKind('HorizontalPodAutoscaler').find((h) => h.metadata.name === 'switchyard-api');
        assert.equal(get(apiHpa, 'spec', 'metrics', '0', 'resource', 'name'), 'cpu');
        for (const ing of byKind('Ingress')) {
          for (const rule of ing.spec?.rules as { http: { paths: { backend: { service: { name: string } } }[] } }[]) {
            for (const p of rule.http.paths) {
              assert.ok(
                byKind('Service').some((s) => s.metadata.name === p.backend.service.name),
                `Ingress backend ${p.backend.service.name}`,
              );
            }
          }
        }
      });

      test('keeps a scheduler running through disruptions: at least one replica and a PDB', () => {
        const scheduler = byKind('Deployment').find((d) => d.metadata.name === 'switchyard-scheduler');
        assert.ok(Number(scheduler?.spec?.replicas) >= 1);
        if (overlay === 'prod') assert.ok(Number(scheduler?.spec?.replicas) >= 2, 'prod runs two schedulers');
      });

      test('denies all traffic by default and allows only DNS and the paths the app needs', () => {
        const policies = byKind('NetworkPolicy');
        const deny = policies.find(
          (p) =>
            isRecord(p.spec?.podSelector) &&
            Object.keys(p.spec.podSelector).length === 0 &&
            p.spec.ingress === undefined &&
            p.spec.egress === undefined,
        );
        assert.deepEqual(deny?.spec?.policyTypes, ['Ingress', 'Egress'], 'a default-deny policy for the namespace');
        const dns = policies.flatMap((p) => (p.spec?.egress ?? []) as Record<string, unknown>[]);
        assert.ok(
          dns.some((rule) => (rule.ports as { port: number }[] | undefined)?.some((port) => port.port === 53)),
          'DNS egress allowed',
        );
        // A peer in another namespace must not be required to carry our labels (kustomize's
        // selector labels would silently break DNS that way).
        for (const p of policies) {
          const rules = [...((p.spec?.egress ?? []) as object[]), ...((p.spec?.ingress ?? []) as object[])];
          for (const rule of rules as Record<string, Record<string, unknown>[]>[]) {
            for (const peer of [...(rule.to ?? []), ...(rule.from ?? [])]) {
              if (peer.namespaceSelector && peer.podSelector) {
                const labels = get(peer, 'podSelector', 'matchLabels') as Record<string, string> | undefined;
                assert.equal(labels?.['app.kubernetes.io/name'], undefined, `${p.metadata.name}: foreign peer`);
              }
            }
          }
        }
        const api = appPods.find((p) => p.labels['app.kubernetes.io/component'] === 'api');
        const allowsApi = policies.some(
          (p) =>
            (p.spec?.policyTypes as string[]).includes('Ingress') &&
            matches(get(p, 'spec', 'podSelector', 'matchLabels') as Record<string, string>, api?.labels ?? {}) &&
            ((p.spec?.ingress ?? []) as { ports?: { port: number }[] }[]).some((r) =>
              r.ports?.some((x) => x.port === 3000),
            ),
        );
        assert.ok(allowsApi, 'ingress to the api on 3000 is allowed');
      });
    });
  }
});
