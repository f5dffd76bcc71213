/**
 * decK files may list routes and plugins at the top, naming their service, route or consumer;
 * KIC attaches them to their owner. As decK (processTopLevelEntities): a top-level route joins
 * its service's routes, after the nested ones, and a scoped plugin its owner's plugins. decK
 * matches a service or route written by name only; a reference written as an id matches the
 * entity's id too here, consumer-scoped plugins go to their consumer and consumer-group scoped
 * ones to their consumer group, where decK drops both, and a plugin naming a route and a
 * service goes to the route, where decK puts it under the service (whose every route it would
 * then act on). A reference to nothing in the file is said on stderr.
 */
import type { Obj, Sink } from './types';
import { isObj, objs, refersTo } from './values';

const owns = (entity: Obj, ref: unknown, nameField: string) => refersTo(ref, entity, nameField);

function appendTo(owner: Obj, key: string, item: Obj): void {
  owner[key] = [...objs(owner, key), item];
}

/** A copy of the content with the top-level routes and scoped plugins moved to their owners. */
export function nestTopLevel(content: Obj, sink: Sink): Obj {
  const services = objs(content, 'services').map((s) => ({ ...s, routes: objs(s, 'routes').map((r) => ({ ...r })) }));
  const consumers = objs(content, 'consumers').map((c) => ({ ...c }));
  const consumerGroups = objs(content, 'consumer_groups').map((g) => ({ ...g }));
  objs(content, 'routes').forEach((route, i) => {
    const service = services.find((s) => owns(s, route.service, 'name'));
    if (service) service.routes.push({ ...route });
    else sink.warnings.push(`routes[${i}]: its service is not in the file: the route is not converted`);
  });
  objs(content, 'plugins').forEach((plugin, i) => {
    let owner: Obj | undefined;
    // A route before a service: Kong runs a plugin naming both for that route alone.
    if (isObj(plugin.route) || typeof plugin.route === 'string') owner = services.flatMap((s) => s.routes).find((r) => owns(r, plugin.route, 'name'));
    else if (isObj(plugin.service) || typeof plugin.service === 'string') owner = services.find((s) => owns(s, plugin.service, 'name'));
    else if (isObj(plugin.consumer) || typeof plugin.consumer === 'string') owner = consumers.find((c) => owns(c, plugin.consumer, 'username'));
    else if (isObj(plugin.consumer_group) || typeof plugin.consumer_group === 'string') {
      owner = consumerGroups.find((g) => owns(g, plugin.consumer_group, 'name'));
    } else return;
    if (owner) appendTo(owner, 'plugins', plugin);
    else sink.warnings.push(`plugins[${i}]: the service, route, consumer or consumer group it names is not in the file: the plugin is not converted`);
  });
  return { ...content, services, consumers, consumer_groups: consumerGroups };
}
