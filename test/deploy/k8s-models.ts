import type { Model } from '@kubernetes-models/base';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';

type ModelClass = new (data: never) => Model<unknown>;

/**
 * The schema-validated model for each `apiVersion/kind` deploy/k8s renders (kubernetes-models:
 * the Kubernetes OpenAPI schemas compiled with ajv; KEDA's CRD schema for ScaledObject). A kind
 * missing here fails the test, so nothing rendered goes unvalidated.
 */
export const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

/** Throws the schema's errors when `object` is not a valid instance of its kind. */
export function validateObject(object: { apiVersion?: unknown; kind?: unknown }): void {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const model = MODELS[key];
  if (!model) throw new Error(`no schema for ${key}: add its model to test/deploy/k8s-models.ts`);
  new model(object as never).validate();
}
