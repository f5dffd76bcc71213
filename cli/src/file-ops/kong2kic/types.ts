/**
 * What `kong-ctl file kong2kic` makes: Kubernetes manifests for the Kong Ingress Controller,
 * in the buckets decK fills and writes in this order (kong2kic/types.go), so that a
 * manifest comes out where decK puts it.
 */
import type { PartnerRef } from './combined-scope';

export type Manifest = Record<string, unknown>;
export type Obj = Record<string, unknown>;

export type KicApi = 'gateway' | 'ingress';
export type KicVersion = 2 | 3;

export interface KicTarget {
  api: KicApi;
  version: KicVersion;
  /** `--class-name`: the ingress class annotation, the Ingress class and the HTTPRoute parent. */
  className: string;
}

export interface KicContent {
  kongIngresses: Manifest[];
  kongPlugins: Manifest[];
  kongClusterPlugins: Manifest[];
  ingresses: Manifest[];
  httpRoutes: Manifest[];
  kongUpstreamPolicies: Manifest[];
  services: Manifest[];
  secrets: Manifest[];
  kongConsumers: Manifest[];
  kongConsumerGroups: Manifest[];
}

export const ORDER: ReadonlyArray<keyof KicContent> = [
  'kongIngresses',
  'kongPlugins',
  'kongClusterPlugins',
  'ingresses',
  'httpRoutes',
  'kongUpstreamPolicies',
  'services',
  'secrets',
  'kongConsumers',
  'kongConsumerGroups',
];

export function emptyContent(): KicContent {
  return {
    kongIngresses: [],
    kongPlugins: [],
    kongClusterPlugins: [],
    ingresses: [],
    httpRoutes: [],
    kongUpstreamPolicies: [],
    services: [],
    secrets: [],
    kongConsumers: [],
    kongConsumerGroups: [],
  };
}

/** Where a conversion goes: the manifests, and what it could not convert (said on stderr). */
export interface Sink {
  target: KicTarget;
  /** The file's content with its top-level routes and plugins nested under their owners. */
  content: Obj;
  out: KicContent;
  warnings: string[];
  /** KongPlugins that a second resource names too, once every manifest is made (combined-scope.ts). */
  partners: Array<{ partner: PartnerRef; slug: string; where: string }>;
}

export const INGRESS_CLASS = 'kubernetes.io/ingress.class';
export const KONG_V1 = 'configuration.konghq.com/v1';
export const KONG_V1BETA1 = 'configuration.konghq.com/v1beta1';
