/**
 * Where entities sit in a decK file, read off the file format's own table (desired/file-format.ts)
 * and decK's wider one (deck-entities.ts): what a selected object is, so that a tag or a plugin
 * is never added to something that cannot hold it. The tag commands' default selection is decK's
 * table alone (deck-entities.ts); namespace's is every place of kong-ctl's (entitySelectors).
 */
import { CHILDREN, TOP_LEVEL } from '../desired/file-format';
import type { Kind } from '../model/entity';
import type { Location } from './select';
import { isDeckEntityAt, isDeckPluginOwnerAt } from './deck-entities';

/** `$.services[*]`, `$.services[*].routes[*]`, `$.services[*].routes[*].plugins[*]`… every place an entity can be. */
export function entitySelectors(): string[] {
  const out: string[] = [];
  const walk = (prefix: string, kind: Kind) => {
    out.push(prefix);
    for (const c of CHILDREN[kind]) walk(`${prefix}.${c.key}[*]`, c.kind);
  };
  for (const c of TOP_LEVEL) walk(`$.${c.key}[*]`, c.kind);
  return out;
}

/** The kind of entity at a location, or undefined when the location is not an entity's place. */
export function entityKindAt(location: Location): Kind | undefined {
  if (location.length < 2 || location.length % 2 !== 0) return undefined;
  let kind: Kind | undefined;
  for (let i = 0; i < location.length; i += 2) {
    const [key, index] = [location[i], location[i + 1]];
    if (typeof key !== 'string' || typeof index !== 'number') return undefined;
    const list = kind === undefined ? TOP_LEVEL : CHILDREN[kind];
    kind = list.find((c) => c.key === key)?.kind;
    if (!kind) return undefined;
  }
  return kind;
}

/** An entity of kong-ctl's file format or of decK's wider table (deck-entities.ts): what tags go on. */
export function isTagOwner(location: Location): boolean {
  return entityKindAt(location) !== undefined || isDeckEntityAt(location);
}

/** The top of the file, or an entity that nests plugins (services, routes, consumers; consumer groups in decK's table). */
export function isPluginOwner(location: Location): boolean {
  if (location.length === 0) return true;
  const kind = entityKindAt(location);
  return (kind !== undefined && CHILDREN[kind].some((c) => c.key === 'plugins')) || isDeckPluginOwnerAt(location);
}
