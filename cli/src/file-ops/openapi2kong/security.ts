/**
 * `--generate-security`: an openid-connect plugin from the spec's `security` requirements of a
 * scheme of type openIdConnect, its scopes merged into `scopes_required`, its
 * openIdConnectUrl as the issuer, and Kong's own settings from the scheme's
 * `x-kong-security-openid-connect`. An operation gets its own plugin when its requirements
 * differ from the document's.
 */
import { goJson, goSort, isObject } from './go-json';
import { xKongObject, type Components, type Obj } from './extensions';
import { resolve, specError, type Location, type Spec } from './spec';

export interface SecurityOptions {
  ignoreErrors: boolean;
}

/** The plugin the requirements at `location` ask for; `inherited` when they ask for nothing (or, ignoring errors, for what is unsupported). */
export function oidcPlugin(
  spec: Spec,
  requirements: unknown,
  location: Location,
  components: Components,
  inherited: Obj | undefined,
  opts: SecurityOptions,
): Obj | undefined {
  if (!Array.isArray(requirements) || requirements.length === 0) return inherited;
  const unsupported = (at: Location, message: string) => {
    if (opts.ignoreErrors) return inherited;
    throw specError(spec, at, message);
  };
  if (requirements.length > 1) return unsupported(location, 'only a single security-requirement is supported');
  const requirement = requirements[0];
  if (!isObject(requirement) || Object.keys(requirement).length === 0) return inherited;
  const names = Object.keys(requirement);
  if (names.length > 1) return unsupported([...location, 0], 'within a security-requirement only a single security-scheme is supported');
  const schemeName = names[0];
  const scopes = requirement[schemeName];
  const schemes = isObject(spec.data.components) ? spec.data.components.securitySchemes : undefined;
  const schemeLocation: Location = ['components', 'securitySchemes', schemeName];
  if (!isObject(schemes) || !(schemeName in schemes)) throw specError(spec, [...location, 0, schemeName], `security-scheme '${schemeName}' is not defined in components.securitySchemes`);
  const scheme = resolve(spec, schemes[schemeName], schemeLocation);
  if (!isObject(scheme.value) || scheme.value.type !== 'openIdConnect') {
    return unsupported([...location, 0, schemeName], "only security-schemes of type 'openIdConnect' are supported");
  }

  const plugin = xKongObject(spec, { value: scheme.value, location: scheme.location }, 'x-kong-security-openid-connect', components) ?? {};
  if (plugin.config === undefined || plugin.config === null) plugin.config = {};
  if (!isObject(plugin.config)) throw specError(spec, [...scheme.location, 'x-kong-security-openid-connect', 'config'], "expected 'config' to be an object");
  const config = plugin.config;
  const required = config.scopes_required ?? [];
  if (!Array.isArray(required) || required.some((s) => typeof s !== 'string')) {
    throw specError(spec, [...scheme.location, 'x-kong-security-openid-connect', 'config', 'scopes_required'], "expected 'scopes_required' to be an array of strings");
  }
  const all = [...(required as string[])];
  for (const s of Array.isArray(scopes) ? scopes : []) if (typeof s === 'string' && !all.includes(s)) all.push(s);
  plugin.name = 'openid-connect';
  config.scopes_required = goSort(all);
  // x-kong-… says how Kong behaves, the OAS how the service behind it does: the former wins.
  if (typeof scheme.value.openIdConnectUrl === 'string' && scheme.value.openIdConnectUrl !== '' && config.issuer === undefined) {
    config.issuer = scheme.value.openIdConnectUrl;
  }
  return plugin;
}

export function samePlugin(a: Obj | undefined, b: Obj | undefined): boolean {
  return goJson(a ?? null) === goJson(b ?? null);
}
